"""Listens on '::' for IPv6 and IPv4 at once (socket.create_server with dualstack_ipv6), a thread per client.

correct: socket.create_server(dualstack_ipv6=True) + threads
"""
import os
import random
import socket
import threading

PORT = 12093
SECRET = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
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


def player(conn):
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            conn.sendall(answer(line))


def main():
    server = socket.create_server(("", PORT), family=socket.AF_INET6, dualstack_ipv6=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=player, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
