"""A selectors server that does not catch sendall()'s error: a client that resets right after its question,
before the server has answered (a loaded machine), stops the whole single-threaded server.

spec: 4
fails: explore
"""
import selectors
import socket
import time

PORT = 12091
sel = selectors.DefaultSelector()


def accept(listener):
    conn, _ = listener.accept()
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, bytearray())


def read(conn, buffer):
    try:
        data = conn.recv(25 - len(buffer))
    except ConnectionError:
        data = b""
    if data:
        buffer += data
        if len(buffer) < 25:
            return
        conn.setblocking(True)
        conn.sendall(time.ctime().encode())
    sel.unregister(conn)
    conn.close()


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", PORT))
    listener.listen()
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select():
            if key.data is None:
                accept(key.fileobj)
            else:
                read(key.fileobj, key.data)


if __name__ == "__main__":
    main()
