"""Raw sockets, a thread per connection, the request read until the blank line.

correct: socket + threading.Thread
"""
import html
import os
import random
import socket
import threading
from urllib.parse import unquote

SECRET = os.environ.get("SECRET_WORD") or random.choice(["tea", "coffee", "cocoa"])
found = False
lock = threading.Lock()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode("latin-1")


def answer(conn, status, body):
    data = body.encode("utf-8")
    conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                 f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)


def serve(conn):
    global found
    with conn:
        head = read_head(conn)
        if head is None:
            return
        method, target, _ = (head.split("\r\n", 1)[0].split(" ") + ["", "", ""])[:3]
        if method != "GET":
            answer(conn, "405 Method Not Allowed", "<p>GET only</p>")
        elif target == "/favicon.ico":
            answer(conn, "404 Not Found", "<p>Not Found</p>")
        else:
            word = unquote(target[1:])
            with lock:
                if found:
                    verdict = "The secret was already found."
                elif word == SECRET:
                    found = True
                    verdict = f"{html.escape(word)} is right!"
                else:
                    verdict = f"{html.escape(word)} is wrong."
            answer(conn, "200 OK", f"<html><body><p>{verdict}</p></body></html>")


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", 8000))
    listener.listen(16)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
