"""Seed 000's custom "Hello" handler on a ThreadingTCPServer.

What it teaches
    Patrick Shriwise's "Using Python SocketServer" (seed 000): replace the
    request handler of a file server with your own ``do_GET`` and return
    whatever text you like, from a ``socketserver.ThreadingTCPServer``
    ("can also use ForkingTCPServer").  Every GET answers ``Hello Bucky!``
    (``--name`` changes the name).

What to watch for
    * ``--seed``: the seed's handler, as written for Python 2 -- it subclasses
      ``SimpleHTTPRequestHandler`` and writes a ``str`` to ``wfile``.  In
      Python 3 ``wfile.write`` wants bytes: the status line and headers have
      already gone out, then the handler dies with ``TypeError``, so the
      client gets ``200 OK`` with an empty body and the server logs a
      traceback.  And because only ``do_GET`` was replaced, ``HEAD`` is still
      SimpleHTTPRequestHandler's: it reports which files exist in the
      server's working directory, and how big they are.
    * The fix: subclass ``BaseHTTPRequestHandler`` (only what you write is
      served, other methods get 501), encode the body, send Content-Type and
      Content-Length.
    * ``ThreadingTCPServer`` is not ``HTTPServer``: it does not set
      ``allow_reuse_address`` or ``server_name``; ``http.server`` also offers
      ``ThreadingHTTPServer`` (3.7+), which is what to use today.
    * The seed binds ``("", PORT)``: every interface.  This binds 127.0.0.1.

Sources: seed 000 (server.py and its Handler); Python docs: socketserver
(ThreadingTCPServer), http.server (BaseHTTPRequestHandler,
SimpleHTTPRequestHandler, ThreadingHTTPServer); RFC 9110 section 9.3.2 (HEAD).

Run:  python -m servers.http_hello [--seed] [--name Bucky]
"""
from __future__ import annotations

import socketserver
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler

from servers import _runtime


class SeedHandler(SimpleHTTPRequestHandler):
    """Seed 000, line for line (a Python 2 habit: writing str)."""

    name = "Bucky"

    def do_GET(self):
        self.send_response(200)  # Send 200 OK
        self.end_headers()
        self.wfile.write(f"Hello {self.name}!")  # TypeError: a bytes-like object is required


class Handler(BaseHTTPRequestHandler):
    """The same idea, done right."""

    name = "Bucky"

    def do_GET(self):
        body = f"Hello {self.name}!".encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # ThreadingTCPServer leaves it False (HTTPServer sets it)
    daemon_threads = True


def configure(parser) -> None:
    parser.add_argument("--seed", action="store_true", help="use the seed's handler (broken on Python 3)")
    parser.add_argument("--name", default="Bucky", help="who to greet (default %(default)s)")


def serve(args) -> None:
    base = SeedHandler if args.seed else Handler
    handler = type(base.__name__, (base,), {"name": args.name})
    with Server((args.host, args.port), handler) as httpd:
        _runtime.ready(httpd.server_address)
        print("serving at port", httpd.server_address[1], flush=True)
        httpd.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
