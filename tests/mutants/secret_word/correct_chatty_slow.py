"""Prints a banner, a word list and every request at length; loads for 1.5 s before it binds 127.0.0.1.

correct: http.server.HTTPServer (chatty, slow start-up)
"""
import html
import os
import random
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import unquote

print("=" * 60)
print("Loading the dictionary ...")
WORDS = [f"word{i:04d}" for i in range(2000)]
for chunk in range(0, len(WORDS), 100):
    print(" ".join(WORDS[chunk:chunk + 100]))
time.sleep(1.5)  # "loading" (a student's server may be slow to start)
SECRET = os.environ.get("SECRET_WORD") or random.choice(WORDS)
print(f"secret chosen ({len(SECRET)} characters)")
found = False


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format, *args):
        print("LOG", self.client_address, format % args, file=sys.stderr)

    def do_GET(self):
        global found
        print("REQUEST", self.requestline, dict(self.headers))
        if self.path == "/favicon.ico":
            self.send_error(404, "no icon")
            return
        word = unquote(self.path[1:])
        print("guess:", repr(word) * 20)
        if found:
            text = "Game over: the word was already found."
        elif word == SECRET:
            found = True
            text = f"Congratulations, {html.escape(word)} is right!"
        else:
            text = f"Sorry, {html.escape(word)} is wrong."
        body = f"<html><body><p>{text}</p></body></html>".encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        print("answered", len(body), "bytes")


if __name__ == "__main__":
    server = HTTPServer(("127.0.0.1", 8000), Handler)
    print("listening on http://127.0.0.1:8000/")
    server.serve_forever()
