"""A selectors loop that answers the complete lines it has, then waits (a blocking recv) for the rest of an unfinished line: one slow client stops everyone.

spec: 7
fails: concurrent_guessers
"""
import os
import random
import selectors
import socket

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
sel = selectors.DefaultSelector()


def judge(line):
    global found
    try:
        guess = int(line)
    except ValueError:
        return b"error: send a whole number\n"
    if found:
        return b"secret found\n"
    if guess == SECRET:
        found = True
        return b"right\n"
    return b"wrong\n"


def serve(conn):
    data = conn.recv(4096)
    while data:
        *lines, data = data.split(b"\n")
        for line in lines:
            conn.sendall(judge(line))
        if not data:
            return
        more = conn.recv(4096)  # the rest of this line is on its way
        if not more:
            conn.sendall(judge(data))
            break
        data += more
    sel.unregister(conn)
    conn.close()


def main():
    listener = socket.create_server(("", PORT))
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                sel.register(conn, selectors.EVENT_READ)
            else:
                serve(key.fileobj)


if __name__ == "__main__":
    main()
