"""A correct secret word server: ThreadingHTTPServer, state on the server object, under a lock."""
import html
import os
import random
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

PORT = 8000


class Game(ThreadingHTTPServer):
    def __init__(self, address, handler):
        super().__init__(address, handler)
        self.secret = os.getenv("SECRET_WORD") or random.choice(["alpha", "bravo", "charlie"])
        self.found = False
        self.lock = threading.Lock()

    def verdict(self, word):
        with self.lock:
            if self.found:
                return "The word was already found."
            if word == self.secret:
                self.found = True
                return f"<strong>{html.escape(word)}</strong> is right!"
            return f"<strong>{html.escape(word)}</strong> is wrong, try again."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/favicon.ico":
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body = f"<html><body><p>{self.server.verdict(unquote(path[1:]))}</p></body></html>".encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    Game(("", PORT), Handler).serve_forever()
