"""Every step of a ``socketserver`` request, logged: the lifecycle hooks.

Layer 2 (solutions/02_socketserver).  Seed 004's echo server (PyMOTW
"SocketServer"): ``EchoServer`` and ``EchoRequestHandler`` override every
hook to log it and then call the base class, so the output shows the order
in which ``socketserver`` calls them::

    EchoServer: __init__ / server_activate          (bind + listen)
    EchoServer: verify_request(request, client_address)
    EchoServer: process_request(...)                (mix-ins start a thread here)
    EchoServer: finish_request(...)                 (instantiates the handler)
    EchoRequestHandler: __init__ / setup / handle / finish
    EchoServer: shutdown_request(...) -> close_request(...)

``verify_request`` returning False refuses a client: the connection is
accepted by the kernel and then closed without a word, the handler never
runs.  ``--deny ADDR`` (repeatable) refuses clients whose IP is ADDR; on
Linux a client can pick its source address on loopback
(``socket.create_connection(address, source_address=("127.0.0.2", 0))``).

Watch for:

* a refused client sees an accepted connection that ends at once
  (``recv()`` returns ``b''``), not a ``ConnectionRefusedError``;
* the handler is a new object for every request: state kept on it is lost
  between requests (keep it on the server);
* the handler echoes one ``recv(1024)``, as the seed's did.

Sources: seed 004 (PyMOTW "SocketServer -- Creating network servers", Echo
Example); Python docs "socketserver" (Server Objects, Request Handler
Objects).
"""
from __future__ import annotations

import logging
import socketserver
import sys

from servers import _runtime


class EchoRequestHandler(socketserver.BaseRequestHandler):
    def __init__(self, request, client_address, server):
        self.logger = logging.getLogger("EchoRequestHandler")
        self.logger.debug("__init__")
        super().__init__(request, client_address, server)

    def setup(self):
        self.logger.debug("setup")
        return super().setup()

    def handle(self):
        self.logger.debug("handle")
        data = self.request.recv(1024)
        self.logger.debug("recv()->%r", data)
        self.request.sendall(data)

    def finish(self):
        self.logger.debug("finish")
        return super().finish()


class EchoServer(socketserver.TCPServer):
    denied: frozenset[str] = frozenset()

    def __init__(self, server_address, handler_class=EchoRequestHandler):
        self.logger = logging.getLogger("EchoServer")
        self.logger.debug("__init__")
        super().__init__(server_address, handler_class)

    def server_activate(self):
        self.logger.debug("server_activate")
        super().server_activate()

    def serve_forever(self, poll_interval=0.5):
        self.logger.debug("waiting for request")
        self.logger.info("Handling requests, press <Ctrl-C> to quit")
        super().serve_forever(poll_interval)

    def handle_request(self):
        self.logger.debug("handle_request")
        return super().handle_request()

    def verify_request(self, request, client_address):
        allowed = client_address[0] not in self.denied
        self.logger.debug("verify_request(%s) -> %s", client_address, allowed)
        return allowed

    def process_request(self, request, client_address):
        self.logger.debug("process_request(%s)", client_address)
        return super().process_request(request, client_address)

    def finish_request(self, request, client_address):
        self.logger.debug("finish_request(%s)", client_address)
        return super().finish_request(request, client_address)

    def shutdown_request(self, request):
        self.logger.debug("shutdown_request")
        return super().shutdown_request(request)

    def close_request(self, request):
        self.logger.debug("close_request")
        return super().close_request(request)

    def server_close(self):
        self.logger.debug("server_close")
        return super().server_close()


def configure(parser) -> None:
    parser.add_argument("--deny", action="append", default=[], metavar="ADDR",
                        help="refuse clients from this IP address (repeatable)")


def serve(args) -> None:
    logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s", stream=sys.stdout)
    with EchoServer((args.host, args.port)) as server:
        server.denied = frozenset(args.deny)
        _runtime.ready(server.server_address)
        server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
