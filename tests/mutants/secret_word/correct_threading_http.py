"""ThreadingHTTPServer speaking HTTP/1.1, the game on the server object under a lock, bound to 127.0.0.1.

correct: http.server.ThreadingHTTPServer (HTTP/1.1 keep-alive)
"""
import html
import os
import random
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

WORDS = ("alpha", "bravo", "charlie", "delta")


class Game(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler):
        super().__init__(address, handler)
        self.secret = os.environ.get("SECRET_WORD") or random.choice(WORDS)
        self.found = False
        self.lock = threading.Lock()

    def verdict(self, word):
        shown = html.escape(word)
        with self.lock:
            if self.found:
                return "Too late: the word was already found."
            if word == self.secret:
                self.found = True
                return f"<strong>{shown}</strong> is right!"
        return f"<strong>{shown}</strong> is wrong, try again."


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = urlsplit(self.path).path
        if path == "/favicon.ico":
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        if path == "/":
            message = "Guess by typing a word after the slash."
        else:
            message = self.server.verdict(unquote(path[1:]))
        body = f"<!doctype html><html><body><p>{message}</p></body></html>".encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    Game(("127.0.0.1", 8000), Handler).serve_forever()
