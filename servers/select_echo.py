"""An echo (and clock) server on selectors: many clients, one thread, no blocking.

What it teaches
    Seed 004 ends with "see also asyncore: create asynchronous servers that
    do not block while processing a request".  ``asyncore`` (and
    ``asynchat``) were deprecated for years and removed in Python 3.12
    (PEP 594); what they wrapped is still here: the ``selectors`` module
    (over ``select``/``poll``/``epoll``/``kqueue``).  One loop asks the
    operating system "which of these sockets can I read or write without
    waiting?" and serves whichever are ready.  Line protocol: every line is
    echoed back; the line ``TIME`` is answered with ``time.ctime()`` (the
    seeds' clock).

What to watch for
    * Every socket is non-blocking, and a handler must never block: one slow
      step (a ``time.sleep``, a big computation, a blocking ``recv``) stalls
      every client.
    * ``send`` may take only part of the data: keep the rest in a per-client
      output buffer and ask for EVENT_WRITE until it is empty.
    * ``recv`` gives bytes, not lines: keep a per-client input buffer and cut
      complete lines out of it; ``b''`` means the client closed.
    * Bound the buffers (``MAX_LINE``) or one client can use all memory.

Sources: seed 004 (PyMOTW SocketServer, "see also asyncore"); Python docs:
selectors (the "Examples" echo server), socket.setblocking, "What's New in
Python 3.12" (asyncore/asynchat/smtpd removed); PEP 594.

Run:  python -m servers.select_echo
"""
from __future__ import annotations

import selectors
import socket
import time

from servers import _layers, _runtime

MAX_LINE = 64 * 1024


class Client:
    def __init__(self, sock: socket.socket, peer):
        self.sock, self.peer = sock, peer
        self.inbox = bytearray()
        self.outbox = bytearray()


def answer(line: bytes) -> bytes:
    if line.strip() == b"TIME":
        return time.ctime().encode() + b"\n"
    return line


def serve(args) -> None:
    sel = selectors.DefaultSelector()
    listener = socket.create_server((args.host, args.port), backlog=_layers.BACKLOG)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, data=None)
    _runtime.ready(listener.getsockname())
    print(f"selector: {type(sel).__name__}", flush=True)
    try:
        while True:
            for key, events in sel.select(timeout=None):
                if key.data is None:  # the listening socket: a client is waiting
                    sock, peer = listener.accept()
                    sock.setblocking(False)
                    sel.register(sock, selectors.EVENT_READ, data=Client(sock, peer))
                    print(f"accepted {peer[0]}:{peer[1]} ({len(sel.get_map()) - 1} clients)", flush=True)
                    continue
                client: Client = key.data
                if events & selectors.EVENT_READ:
                    try:
                        data = client.sock.recv(65536)
                    except ConnectionError:
                        data = b""
                    if not data or len(client.inbox) > MAX_LINE:
                        sel.unregister(client.sock)
                        client.sock.close()
                        print(f"closed {client.peer[0]}:{client.peer[1]}", flush=True)
                        continue
                    client.inbox += data
                    while b"\n" in client.inbox:
                        line, _, rest = bytes(client.inbox).partition(b"\n")
                        client.inbox = bytearray(rest)
                        client.outbox += answer(line + b"\n")
                if client.outbox:
                    try:
                        sent = client.sock.send(client.outbox)
                    except BlockingIOError:
                        sent = 0
                    except ConnectionError:
                        sel.unregister(client.sock)
                        client.sock.close()
                        continue
                    del client.outbox[:sent]
                wanted = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
                if key.events != wanted:
                    sel.modify(client.sock, wanted, data=client)
    finally:
        for key in list(sel.get_map().values()):
            key.fileobj.close()
        sel.close()


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv)


if __name__ == "__main__":
    main()
