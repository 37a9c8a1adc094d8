"""Raw sockets and os.fork() per connection; the child sets a global found that the parent never sees.

spec: 6
fails: found_for_everyone
"""
import html
import os
import random
import signal
import socket
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["north", "south", "east", "west"])
found = False


def handle(conn):
    global found
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
        if found:
            status, body = "200 OK", "<p>The word was already found.</p>"
        elif word == SECRET:
            found = True
            status, body = "200 OK", f"<p>{html.escape(word)} is right!</p>"
        else:
            status, body = "200 OK", f"<p>{html.escape(word)} is wrong.</p>"
    page = body.encode("utf-8")
    conn.sendall(f"HTTP/1.0 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                 f"Content-Length: {len(page)}\r\n\r\n".encode() + page)


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
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
