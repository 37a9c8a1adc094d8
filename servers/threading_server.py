"""``ThreadingMixIn``: one thread per request, so a slow client does not block others.

Layer 2 (solutions/02_socketserver).  Seed 004's "Threading and Forking"
section: adding ``socketserver.ThreadingMixIn`` to the class list makes
``process_request()`` start a new thread for each request.  Every request
here is slow on purpose: the handler reads one line, waits ``--delay``
seconds (standing in for real work) and answers
``<thread name>: <line>``.  ``--sequential`` uses a plain ``TCPServer`` for
comparison: N clients then take N times as long.

Watch for:

* the mix-in must come *first*: ``class S(ThreadingMixIn, TCPServer)``.
  Written the other way round, ``TCPServer``'s ``process_request`` wins in
  the method resolution order and the server is silently sequential
  (``--wrong-order`` shows it);
* ``daemon_threads = True`` lets the process exit with requests still
  running; with the default (False) ``server_close()`` waits for every
  thread (``block_on_close``);
* threads share the server object: state changed by several handlers needs a
  lock (see the count kept here).

Sources: seed 004 (PyMOTW "SocketServer", Threading and Forking); seed 001
(with serve_forever(), "simultaneously from multiple clients"); Python docs
"socketserver" (ThreadingMixIn, daemon_threads, block_on_close).
"""
from __future__ import annotations

import socketserver
import threading
import time

from servers import _runtime


class SlowHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(1024).strip()
        name = threading.current_thread().name
        with self.server.lock:
            self.server.served += 1
            number = self.server.served
        print(f"request {number} in {name}: {line!r}", flush=True)
        time.sleep(self.server.delay)  # the "work"
        self.wfile.write(f"{name}: ".encode() + line + b"\n")


class ThreadingServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """Right order: the mix-in's process_request() starts a thread."""

    daemon_threads = True


class WrongOrderServer(socketserver.TCPServer, socketserver.ThreadingMixIn):
    """Wrong order: TCPServer's (BaseServer's) process_request() wins; no threads."""

    daemon_threads = True


def configure(parser) -> None:
    parser.add_argument("--delay", type=float, default=0.5,
                        help="seconds each request takes (default %(default)s)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sequential", action="store_true", help="plain TCPServer")
    group.add_argument("--wrong-order", action="store_true",
                       help="class S(TCPServer, ThreadingMixIn): the silent mistake")


def serve(args) -> None:
    if args.sequential:
        server_class = socketserver.TCPServer
    elif args.wrong_order:
        server_class = WrongOrderServer
    else:
        server_class = ThreadingServer
    server_class.request_queue_size = 64
    with server_class((args.host, args.port), SlowHandler) as server:
        server.delay, server.served, server.lock = args.delay, 0, threading.Lock()
        _runtime.ready(server.server_address)
        print(f"{server_class.__name__}: process_request from "
              f"{type(server).process_request.__qualname__}", flush=True)
        server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
