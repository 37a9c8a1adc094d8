"""The seed's clock server: ``socketserver.TCPServer`` + ``StreamRequestHandler``.

Layer 2 (solutions/02_socketserver).  A client connects and sends a question
of exactly 25 bytes (``"What is the time?"`` padded with spaces); the handler
reads it from ``self.rfile``, writes ``time.ctime()`` (24 bytes, e.g.
``Sun Apr  4 18:16:14 2010``) to ``self.wfile`` and returns, which closes the
connection.  Everything the seed printed is printed here too.

Watch for:

* ``self.rfile.read(25)`` returns only after 25 bytes arrived *or* the client
  closed its side.  A client that sends fewer bytes and waits for the answer
  waits forever -- and so does the server ("the client must send exactly 25
  characters!").  Fixes: pad to 25 (the seed's client), half-close the client
  (``shutdown(SHUT_WR)``: ``read`` then returns what came), or change the
  framing: ``--line`` reads one ``\\n``-terminated line instead;
* ``--timeout S`` sets ``StreamRequestHandler.timeout``: a client silent for
  S seconds is dropped instead of blocking this single-threaded server;
* the default port is the seed's 12091; ``--port 0`` picks a free one.
  ``TCPServer.allow_reuse_address`` is False: ``--reuseaddr`` turns it on;
* the seed stopped with ``ss.socket.close()``; ``server_close()`` (or the
  ``with`` statement used here) is the documented way.

Sources: seed 001 (MCS 275 Lecture 33, "The SocketServer Module",
clockserver.py) and seed 002 (its notes); Python docs, "socketserver --
A framework for network servers" (TCPServer, StreamRequestHandler).
"""
from __future__ import annotations

import socketserver
from time import ctime

from servers import _runtime

PORT = 12091  # the seed's port
BUFFER = 25  # bytes in a question


class ServerClock(socketserver.StreamRequestHandler):
    """The server tells the clients the time."""

    def handle(self) -> None:
        """Read the question (25 bytes, or one line with --line); send the time."""
        print("connected at", self.client_address, flush=True)
        try:
            if self.server.line_mode:
                message = self.rfile.readline(1024)
            else:
                message = self.rfile.read(BUFFER)
        except TimeoutError:
            print(f"gave up on {self.client_address}: nothing complete within "
                  f"{self.timeout} s", flush=True)
            return
        data = message.decode(errors="replace")
        print('read "' + data + '" from client', flush=True)
        now = ctime()
        print('writing "' + now + '" to client', flush=True)
        self.wfile.write(now.encode())


class ClockServer(socketserver.TCPServer):
    """TCPServer plus the two options of this module."""

    line_mode = False


def configure(parser) -> None:
    parser.add_argument("--line", action="store_true",
                        help="read one newline-terminated line instead of exactly 25 bytes")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a client may stay silent (default: wait forever)")
    parser.add_argument("--reuseaddr", action="store_true", help="set allow_reuse_address")


def serve(args) -> None:
    ServerClock.timeout = args.timeout  # StreamRequestHandler applies it in setup()
    ClockServer.allow_reuse_address = args.reuseaddr  # read by server_bind()
    with ClockServer((args.host, args.port), ServerClock) as server:
        server.line_mode = args.line
        _runtime.ready(server.server_address)
        print("server is listening to", server.server_address[1], flush=True)
        print("press ctrl c to stop server", flush=True)
        server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Run the clock server; default port 12091 (the seed's)."""
    _runtime.run(serve, __doc__, argv, default_port=PORT, configure=configure)


if __name__ == "__main__":
    main()
