"""A correct secret number server with raw sockets and a thread per client."""
import os
import random
import socket
import threading

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def verdict(text):
    global found
    try:
        number = int(text.strip())
    except ValueError:
        return "error: not a number"
    with lock:
        if found:
            return "secret found"
        if number == SECRET:
            found = True
            return "right"
        return "wrong"


def serve(conn):
    with conn, conn.makefile("r", encoding="utf-8", errors="replace", newline="\n") as lines:
        try:
            for text in lines:
                conn.sendall((verdict(text) + "\n").encode())
        except OSError:
            pass


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", PORT))
    listener.listen()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
