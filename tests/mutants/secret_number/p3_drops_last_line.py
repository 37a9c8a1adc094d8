"""Buffers lines properly, but when the client closes it drops an unfinished last line (no newline) without answering it.

spec: 3
fails: last_line_at_close
"""
import os
import random
import socket
import threading

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def answer(line):
    global found
    try:
        guess = int(line)
    except ValueError:
        return b"error: send a whole number\n"
    with lock:
        if found:
            return b"secret found\n"
        if guess == SECRET:
            found = True
            return b"right\n"
        return b"wrong\n"


def serve(conn):
    buffer = b""
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                return  # the client is done
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                conn.sendall(answer(line))


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
