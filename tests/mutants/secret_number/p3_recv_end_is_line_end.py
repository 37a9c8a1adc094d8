"""Splits what each recv() returns at the newlines, but takes the end of a recv() as the end of a line: a line cut in two pieces becomes two guesses.

spec: 3
fails: line_framing
"""
import os
import random
import socket
import threading

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def answer(text):
    global found
    try:
        guess = int(text)
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
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            lines = data.split(b"\n")
            for line in lines[:-1]:
                conn.sendall(answer(line))
            if lines[-1]:  # no newline at the end of this recv(): take it as a guess too
                conn.sendall(answer(lines[-1]))


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
