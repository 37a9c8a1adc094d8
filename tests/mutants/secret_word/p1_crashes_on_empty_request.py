"""An iterative raw-socket server that indexes into an empty request: a client that leaves without one crashes it.

spec: 1
fails: split_request
"""
import html
import os
import random
import socket
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["lemon", "mango", "peach"])
found = False


def page(target):
    global found
    if target == "/favicon.ico":
        return "404 Not Found", "<p>not found</p>"
    word = unquote(target[1:])
    if found:
        return "200 OK", "<p>Someone already found the word.</p>"
    if word == SECRET:
        found = True
        return "200 OK", f"<p>{html.escape(word)} is right!</p>"
    return "200 OK", f"<p>{html.escape(word)} is wrong.</p>"


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", 8000))
    server.listen(5)
    print("serving on port 8000")
    while True:
        conn, addr = server.accept()
        request = b""
        while b"\r\n\r\n" not in request:  # read the whole head
            chunk = conn.recv(1024)
            if not chunk:
                break
            request += chunk
        target = request.split(b" ")[1].decode("latin-1")
        status, body = page(target)
        data = body.encode("utf-8")
        conn.sendall(f"HTTP/1.0 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                     f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        conn.close()


if __name__ == "__main__":
    main()
