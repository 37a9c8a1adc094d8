"""The clock over UDP: ``socketserver.UDPServer`` + ``DatagramRequestHandler``.

Layer 2 (solutions/02_socketserver).  Seed 001: "Instead of TCPServer, we can
use UDPServer, if we want UDP instead of TCP protocol", with
``DatagramRequestHandler`` instead of ``StreamRequestHandler``.  Every
datagram received is one request: ``self.rfile`` holds its bytes, and what
the handler writes to ``self.wfile`` is sent back as one datagram when the
handler finishes.  The answer is ``time.ctime()``.

Watch for:

* there is no connection and no ``listen()``/``accept()``: the readiness
  line means "bound"; the 25-byte rule of the TCP clock does not apply,
  because a datagram arrives whole or not at all (message boundaries are
  kept);
* a datagram can be lost: a client must use a timeout and may retry;
  sending to a port where nothing listens raises no error on ``sendto()``
  (at most a later ``ConnectionRefusedError`` on a *connected* UDP socket);
* ``recvfrom(n)`` with ``n`` smaller than the datagram silently drops the
  rest of it.

Sources: seed 001/002 ("alternatives to the simple example"); Python docs
"socketserver" (UDPServer, DatagramRequestHandler).
"""
from __future__ import annotations

import socketserver
from time import ctime

from servers import _runtime


class DatagramClock(socketserver.DatagramRequestHandler):
    """Answer every datagram with the time."""

    def handle(self) -> None:
        question = self.rfile.read()  # the whole datagram
        print(f"datagram from {self.client_address}: {question!r}", flush=True)
        self.wfile.write(ctime().encode())  # sent by finish() as one datagram


def serve(args) -> None:
    with socketserver.UDPServer((args.host, args.port), DatagramClock) as server:
        _runtime.ready(server.server_address)
        server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv)


if __name__ == "__main__":
    main()
