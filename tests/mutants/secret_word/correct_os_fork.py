"""Raw sockets and os.fork() per connection; found kept in a file every child can see.

correct: os.fork (state in a file)
"""
import html
import os
import random
import signal
import socket
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["north", "south", "east", "west"])
FOUND_FILE = os.path.abspath("found.flag")


def claim():
    """True for the first caller only: O_EXCL makes creating the file atomic across processes."""
    try:
        os.close(os.open(FOUND_FILE, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        return True
    except FileExistsError:
        return False


def handle(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(1024)
        if not chunk:
            return
        data += chunk
    target = data.split(b"\r\n", 1)[0].split(b" ")[1].decode("latin-1")
    if target == "/favicon.ico":
        status, body = "404 Not Found", "<p>404 Not Found</p>"
    else:
        word = unquote(target[1:])
        if os.path.exists(FOUND_FILE):
            status, body = "200 OK", "<p>The word was already found.</p>"
        elif word == SECRET and claim():
            status, body = "200 OK", f"<p>{html.escape(word)} is right!</p>"
        elif word == SECRET:
            status, body = "200 OK", "<p>The word was already found.</p>"
        else:
            status, body = "200 OK", f"<p>{html.escape(word)} is wrong.</p>"
    page = body.encode("utf-8")
    conn.sendall(f"HTTP/1.0 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                 f"Content-Length: {len(page)}\r\n\r\n".encode() + page)


def main():
    if os.path.exists(FOUND_FILE):
        os.remove(FOUND_FILE)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.create_server(("", 8000))
    while True:
        conn, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            try:
                handle(conn)
            finally:
                conn.close()
                os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()
