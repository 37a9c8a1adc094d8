"""socketserver.ThreadingTCPServer with a StreamRequestHandler that speaks HTTP itself.

correct: socketserver.ThreadingTCPServer (hand-written HTTP)
"""
import html
import os
import random
import socketserver
import threading
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["red", "green", "blue"])
state = {"found": False}
lock = threading.Lock()


def respond(wfile, status, body):
    data = body.encode("utf-8")
    head = (f"HTTP/1.0 {status}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n")
    wfile.write(head.encode("ascii") + data)


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        request_line = self.rfile.readline(65537).decode("latin-1")
        while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
            pass  # skip the header lines
        parts = request_line.split()
        if len(parts) != 3 or parts[0] != "GET":
            respond(self.wfile, "400 Bad Request", "<p>bad request</p>")
            return
        path = parts[1]
        if path == "/favicon.ico":
            respond(self.wfile, "404 Not Found", "<p>no icon here</p>")
            return
        word = unquote(path[1:])
        with lock:
            if state["found"]:
                message = "the word was already found"
            elif word == SECRET:
                state["found"] = True
                message = f"{html.escape(word)} is right"
            else:
                message = f"{html.escape(word)} is wrong"
        respond(self.wfile, "200 OK", f"<html><body><h1>{message}</h1></body></html>")


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("", 8000), Handler) as server:
        server.serve_forever()
