"""Takes the port from $PORT with a default of 8888, the 'twelve-factor' way.

spec: 1
fails: uses_port
explore: missed: the explorer talks to whatever port the server listens on (uses_port checks the port)
"""
import html
import os
import random
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import unquote

PORT = int(os.environ.get("PORT", "8888"))
WORDS = ["apple", "banana", "cherry", "python", "socket", "server"]
SECRET = os.environ.get("SECRET_WORD") or random.choice(WORDS)
found = False

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Secret word</title></head>
<body><h1>Guess the secret word</h1><p>{}</p></body></html>"""


class WordHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        global found
        if self.path == "/favicon.ico":
            self.send_error(404)
            return
        word = unquote(self.path[1:])
        if self.path == "/":
            message = "Type your guess after localhost:8000/ in the address bar."
        elif found:
            message = "The secret word was already found."
        elif word == SECRET:
            found = True
            message = f"{html.escape(word)} is right!"
        else:
            message = f"{html.escape(word)} is wrong."
        page = PAGE.format(message).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


def main():
    server = HTTPServer(("", PORT), WordHandler)
    print("welcome to our web server on port", PORT, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print(" ctrl c pressed, shutting down")
        server.server_close()


if __name__ == "__main__":
    main()
