"""Serves clients from a pool of 4 threads (ThreadPoolExecutor): a fifth client waits until one of the first four hangs up.

spec: 7
fails: concurrent_guessers
"""
import os
import random
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def judge(line):
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
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            conn.sendall(judge(line))


def main():
    listener = socket.create_server(("", PORT))
    with ThreadPoolExecutor(max_workers=4) as pool:
        while True:
            conn, _ = listener.accept()
            pool.submit(serve, conn)


if __name__ == "__main__":
    main()
