"""A selectors server that does not catch ConnectionResetError: one client that vanishes (connection reset) stops the whole server.

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
buffers = {}
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


def main():
    listener = socket.create_server(("", PORT))
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                buffers[conn] = b""
                sel.register(conn, selectors.EVENT_READ)
                continue
            data = sock.recv(4096)
            if not data:
                if buffers[sock]:
                    sock.sendall(judge(buffers[sock]))
                sel.unregister(sock)
                del buffers[sock]
                sock.close()
                continue
            buffers[sock] += data
            *lines, buffers[sock] = buffers[sock].split(b"\n")
            for line in lines:
                sock.sendall(judge(line))


if __name__ == "__main__":
    main()
