"""socketserver.ForkingTCPServer with BaseHTTPRequestHandler; found shared through multiprocessing.Value.

correct: socketserver.ForkingTCPServer (state in shared memory)
"""
import html
import multiprocessing
import os
import random
import socketserver
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["oak", "elm", "ash", "yew"])
FOUND = multiprocessing.Value("b", 0)  # shared memory: every forked child sees the same flag


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/favicon.ico":
            self.send_error(404)
            return
        word = unquote(self.path[1:])
        with FOUND.get_lock():
            if FOUND.value:
                text = "That word was already found."
            elif word == SECRET:
                FOUND.value = 1
                text = f"{html.escape(word)} is right!"
            else:
                text = f"{html.escape(word)} is wrong."
        page = f"<html><body><p>{text}</p></body></html>".encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    Server(("", 8000), Handler).serve_forever()
