"""``BaseRequestHandler``: the handler gets the raw socket as ``self.request``.

Layer 2 (solutions/02_socketserver).  Seed 003's ``myTCPHandler``: a
``socketserver.TCPServer`` whose handler subclasses ``BaseRequestHandler``,
receives once from ``self.request`` (a connected socket), sends the data back
in upper case and returns (the server then closes the connection).

Also the two ways to run a server from seed 001: ``serve_forever()`` (the
default) or ``handle_request()``, which serves exactly one request and
returns; ``--requests N`` calls it N times and exits.  ``--idle-timeout S``
sets ``server.timeout``: ``handle_request()`` then gives up after S seconds
without a client and calls ``handle_timeout()``.

Watch for:

* ``self.request.recv(1024)`` is a single recv: a longer message, or one sent
  in pieces, is cut (layer 1: one recv is not one message);
* after ``--requests N`` the server is gone: the next client gets
  ``ConnectionRefusedError``;
* ``server.timeout`` limits ``handle_request()`` only; ``serve_forever()``
  ignores it.

Sources: seed 003 ("Servers in Python": myTCPHandler); seed 001/002
(handle_request() or serve_forever()); Python docs "socketserver"
(BaseRequestHandler, handle_request, timeout, handle_timeout).
"""
from __future__ import annotations

import socketserver

from servers import _runtime


class MyTCPHandler(socketserver.BaseRequestHandler):
    """One recv from the client socket, one sendall of the upper-cased bytes."""

    def handle(self) -> None:
        data = self.request.recv(1024)  # self.request is a socket for stream services
        print(f"{self.client_address[0]}:{self.client_address[1]} sent {data!r}", flush=True)
        self.request.sendall(data.upper())


class UpperServer(socketserver.TCPServer):
    def handle_timeout(self) -> None:
        print(f"handle_timeout(): no request within {self.timeout} s", flush=True)


def configure(parser) -> None:
    parser.add_argument("--requests", type=int, default=None,
                        help="serve N requests with handle_request(), then exit")
    parser.add_argument("--idle-timeout", type=float, default=None,
                        help="server.timeout: seconds handle_request() waits for a client")


def serve(args) -> None:
    with UpperServer((args.host, args.port), MyTCPHandler) as server:
        server.timeout = args.idle_timeout
        _runtime.ready(server.server_address)
        if args.requests is None:
            server.serve_forever()
            return
        for number in range(1, args.requests + 1):
            server.handle_request()  # returns after one request (or the timeout)
            print(f"handle_request() #{number} returned", flush=True)
        print(f"served {args.requests} requests; exiting", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
