"""The clock on a Unix-domain socket: ``UnixStreamServer`` / ``UnixDatagramServer``.

Layer 2 (solutions/02_socketserver).  Seed 001: "On Unix (instead of
TCPServer): UnixStreamServer or UnixDatagramServer."  The address is a path
in the file system, not a (host, port) pair, and only processes on this
machine can connect.  Stream mode (default): a client connects, sends one
line, gets ``time.ctime()``.  ``--datagram``: every datagram is answered with
a datagram holding the time.  The readiness line is
``listening on unix:PATH``.

Watch for:

* the socket file stays behind if the server is killed (SIGKILL); a new
  server then fails with ``Address already in use`` although nothing
  listens.  A clean stop removes the file; ``--unlink`` removes a stale file
  before ``bind()``;
* a Unix *datagram* client must ``bind()`` its own socket to a path, or the
  server has no address to answer to (the server reports that);
* the path is limited to about 100 bytes (``sun_path``);
* ``--host``/``--port`` do not exist here: ``--path`` (default: a new temporary
  folder) says where the socket file goes.

Sources: seed 001/002 ("On Unix ... UnixStreamServer or
UnixDatagramServer"); Python docs "socketserver" (UnixStreamServer,
UnixDatagramServer) and "socket" (AF_UNIX).
"""
from __future__ import annotations

import contextlib
import os
import socketserver
import tempfile
from time import ctime

from servers import _runtime


class StreamClock(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        question = self.rfile.readline(1024)
        print(f"stream client asked {question!r}", flush=True)
        self.wfile.write(ctime().encode())


class DatagramClock(socketserver.DatagramRequestHandler):
    def handle(self) -> None:
        question = self.rfile.read()
        print(f"datagram from {self.client_address!r}: {question!r}", flush=True)
        self.wfile.write(ctime().encode())

    def finish(self) -> None:
        if not self.client_address:  # an unbound client: '' or None
            print("cannot answer: the client socket is not bound to a path", flush=True)
            return
        super().finish()


def configure(parser) -> None:
    parser.add_argument("--path", default=None,
                        help="socket file (default: clock.sock in a new temporary folder)")
    parser.add_argument("--datagram", action="store_true",
                        help="UnixDatagramServer instead of UnixStreamServer")
    parser.add_argument("--unlink", action="store_true",
                        help="remove a stale socket file before bind()")


def serve(args) -> None:
    folder = None
    path = args.path
    if path is None:
        folder = tempfile.mkdtemp(prefix="clock-")
        path = os.path.join(folder, "clock.sock")
    if args.unlink and os.path.exists(path):
        print(f"removing stale {path}", flush=True)
        os.unlink(path)
    server_class = socketserver.UnixDatagramServer if args.datagram else socketserver.UnixStreamServer
    handler = DatagramClock if args.datagram else StreamClock
    try:
        with server_class(path, handler) as server:
            _runtime.ready(server.server_address)
            try:
                server.serve_forever()
            finally:  # server_close() does not remove the file: we do
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
    finally:
        if folder is not None:
            with contextlib.suppress(OSError):
                os.rmdir(folder)


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); no --host/--port, see --path."""
    _runtime.run(serve, __doc__, argv, inet=False, configure=configure)


if __name__ == "__main__":
    main()
