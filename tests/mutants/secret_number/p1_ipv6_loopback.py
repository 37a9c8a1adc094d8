"""Binds the IPv6 loopback '::1' only: a client that connects to 127.0.0.1 port 12093 is refused.

spec: 1
fails: uses_port
"""
import os
import random
import socket
import threading

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def serve(conn):
    global found
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            try:
                guess = int(line)
            except ValueError:
                conn.sendall(b"error: send a whole number\n")
                continue
            with lock:
                if found:
                    reply = b"secret found\n"
                elif guess == SECRET:
                    found = True
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            conn.sendall(reply)


def main():
    server = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("::1", PORT))
    server.listen()
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
