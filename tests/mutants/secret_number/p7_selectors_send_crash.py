"""A selectors server that catches a reset when it reads but not when it sends: a client that resets right
after its guess, before the server has replied (a loaded machine), stops the whole single-threaded server.

spec: 7
fails: explore
"""
import os
import random
import selectors
import socket

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER", "0")) or random.randint(1, 100)
state = {"found": False}
sel = selectors.DefaultSelector()


def answer(line):
    try:
        guess = int(line)
    except ValueError:
        return b"error: please send a whole number\n"
    if state["found"]:
        return b"secret found\n"
    if guess == SECRET:
        state["found"] = True
        return b"right\n"
    return b"wrong\n"


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.inbox = b""
        self.outbox = b""

    def readable(self):
        try:
            data = self.sock.recv(4096)
        except ConnectionError:
            data = b""
        if data:
            self.inbox += data
            while b"\n" in self.inbox:
                line, self.inbox = self.inbox.split(b"\n", 1)
                self.outbox += answer(line)
        else:
            if self.inbox:
                self.outbox += answer(self.inbox)
                self.inbox = b""
            self.closing = True
        self.flush()

    def flush(self):
        while self.outbox:
            try:
                sent = self.sock.send(self.outbox)
            except BlockingIOError:
                sel.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self)
                return
            self.outbox = self.outbox[sent:]
        if getattr(self, "closing", False):
            sel.unregister(self.sock)
            self.sock.close()
        else:
            sel.modify(self.sock, selectors.EVENT_READ, self)


def main():
    listener = socket.create_server(("", PORT), reuse_port=False)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)
    while True:
        for key, events in sel.select():
            if key.data is None:
                conn, _ = listener.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ, Connection(conn))
            elif events & selectors.EVENT_READ and not getattr(key.data, "closing", False):
                key.data.readable()
            else:
                key.data.flush()


if __name__ == "__main__":
    main()
