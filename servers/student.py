"""Run code a student wrote in a notebook as a real server process.

What it teaches
    Each layer's last exercise asks for the part of a server that is the
    lesson -- a function that serves one connection, a request handler, an
    ``async`` handler -- written to a file by the notebook (``%%writefile``).
    This module loads that file and serves it the way the layer does, as its
    own process with the usual contract (``listening on HOST:PORT``, clean
    stop on SIGINT/SIGTERM, gone when its parent dies):

    ``--kind socket``   the file defines ``serve_client(conn)``; a listening
                        socket accepts one client at a time and calls it, then
                        closes the connection (layer 1)
    ``--kind stream``   the file defines ``Handler``, a
                        ``socketserver.StreamRequestHandler``; served by a
                        ``ThreadingTCPServer`` (layer 2)
    ``--kind forking``  the same, served by a ``ForkingTCPServer``; before any
                        fork the server gets ``server.hits``, a
                        ``multiprocessing.Value("i", 0)`` every child shares
                        (layer 3)
    ``--kind http``     the file defines ``Handler``, an
                        ``http.server.BaseHTTPRequestHandler``; served by a
                        ``ThreadingHTTPServer`` (layer 4)
    ``--kind asyncio``  the file defines ``async def handle(reader, writer)``;
                        served by ``asyncio.start_server`` (layer 5)

What to watch for
    * A handler that raises prints its traceback here (the notebook shows the
      server's output), and the client sees its connection closed.  A handler
      that raises ``NotImplementedError`` is reported as "not written yet".
    * The student's file is run with ``runpy.run_path``: top-level code runs
      once, in the server process, never in the notebook's kernel.

Sources: Python docs: socket, socketserver (StreamRequestHandler,
ThreadingMixIn, ForkingMixIn), http.server (BaseHTTPRequestHandler),
asyncio "Streams" (start_server), multiprocessing "Sharing state between
processes" (Value), runpy.run_path.

Run:  python -m servers.student --kind socket|stream|forking|http|asyncio --file PATH
"""
from __future__ import annotations

import asyncio
import http.server
import multiprocessing
import runpy
import socket
import socketserver
import sys
import traceback

from servers import _layers, _runtime

KINDS = ("socket", "stream", "forking", "http", "asyncio")
NEEDS = {"socket": "serve_client", "stream": "Handler", "forking": "Handler", "http": "Handler",
         "asyncio": "handle"}


def report(exc: BaseException) -> None:
    """One recognisable line for a stub, a traceback for anything else."""
    if isinstance(exc, NotImplementedError):
        _layers.log("NotImplementedError: the exercise is not written yet")
    else:
        _layers.log("".join(traceback.format_exception(exc)).rstrip())


class ReportingMixIn:
    """socketserver: print a handler's exception in one piece (see :func:`report`)."""

    def handle_error(self, request, client_address):
        report(sys.exc_info()[1])


class ThreadingServer(ReportingMixIn, socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = _layers.BACKLOG


class ForkingServer(ReportingMixIn, _layers.ParentCheckMixIn, socketserver.ForkingTCPServer):
    allow_reuse_address = True
    request_queue_size = _layers.BACKLOG


class HTTPServer(ReportingMixIn, http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = _layers.BACKLOG


def serve_sockets(serve_client, args) -> None:
    with socket.create_server((args.host, args.port), backlog=_layers.BACKLOG) as listener:
        _runtime.ready(listener.getsockname())
        while True:
            conn, address = listener.accept()
            with conn:
                conn.settimeout(10)  # a student's loop must not hang the server forever
                try:
                    serve_client(conn)
                except Exception as exc:  # reported; the next client is served
                    report(exc)


async def serve_asyncio(handle, args) -> None:
    clients: set = set()

    async def wrapped(reader, writer):
        clients.add(writer)
        try:
            await handle(reader, writer)
        except Exception as exc:
            report(exc)
        finally:
            clients.discard(writer)
            writer.close()

    server = await asyncio.start_server(wrapped, args.host, args.port, backlog=_layers.BACKLOG)
    await _layers.serve_asyncio(server, clients)


def configure(parser) -> None:
    parser.add_argument("--kind", choices=KINDS, required=True)
    parser.add_argument("--file", required=True, help="the student's Python file")


def serve(args) -> None:
    namespace = runpy.run_path(args.file, run_name="student")
    name = NEEDS[args.kind]
    if name not in namespace:
        raise SystemExit(f"{args.file} defines no {name!r}")
    code = namespace[name]
    if args.kind == "socket":
        serve_sockets(code, args)
    elif args.kind == "asyncio":
        asyncio.run(serve_asyncio(code, args))
    else:
        cls = {"stream": ThreadingServer, "forking": ForkingServer, "http": HTTPServer}[args.kind]
        with cls((args.host, args.port), code) as server:
            if args.kind == "forking":
                server.hits = multiprocessing.Value("i", 0)  # shared memory, before any fork
            _runtime.ready(server.server_address)
            server.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    argv_seen = argv if argv is not None else sys.argv
    if "forking" in argv_seen:
        _layers.run_forking(serve, __doc__, argv, configure=configure)  # no watchdog thread
    else:
        _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
