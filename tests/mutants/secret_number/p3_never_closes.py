"""Keeps every connection in a list of players (to greet them all) and never closes one: a client that is done never sees the end.

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
players = []


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
    lines = conn.makefile("rb")
    for line in lines:
        conn.sendall(answer(line))
    print("a player left;", len(players), "players so far")


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", PORT))
    listener.listen()
    while True:
        conn, _ = listener.accept()
        players.append(conn)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
