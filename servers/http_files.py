"""A static file server: SimpleHTTPRequestHandler, as ``python -m http.server`` runs it.

What it teaches
    Seed 000 starts with exactly this -- ``SimpleHTTPRequestHandler`` on a
    ``ThreadingTCPServer``, or ``python -m SimpleHTTPServer`` (today
    ``python -m http.server``) -- a directory listing and every file below
    the served directory, with a guessed Content-Type.  Seed 003 notes that
    CGIHTTPRequestHandler serves static files the same way.

What to watch for (the stdlib's own warning: "not recommended for
production. It only implements basic security checks.")
    * ``python -m http.server`` binds every interface by default (``0.0.0.0``
      or ``::``): everyone on your network can read the directory.  Pass
      ``--bind 127.0.0.1``.  This module binds 127.0.0.1 unless told.
    * It follows symbolic links, including links that point out of the
      served directory: a link ``public/notes -> /home/you`` publishes your
      home directory.  ``..`` in URLs is cleaned up, symlinks are not.
      ``--stdlib`` keeps that behaviour; the default refuses (404) any path
      whose real location (``os.path.realpath``) is outside the directory.
    * It serves dotfiles (``.git/``, ``.env``) and lists directories.

Sources: seed 000 (SimpleHTTPRequestHandler, ``python -m SimpleHTTPServer``),
seed 003; Python docs: http.server (SimpleHTTPRequestHandler, "Security
considerations", command-line ``--bind``/``--directory``).

Run:  python -m servers.http_files --directory DIR [--stdlib]
"""
from __future__ import annotations

import functools
import os
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from servers import _runtime


class ConfinedHandler(SimpleHTTPRequestHandler):
    """SimpleHTTPRequestHandler that will not follow links out of its directory."""

    def send_head(self):
        path = self.translate_path(self.path)
        root = os.path.realpath(self.directory)
        real = os.path.realpath(path)
        if os.path.commonpath([root, real]) != root:
            self.send_error(404, "File not found")
            return None
        return super().send_head()


class Server(ThreadingHTTPServer):
    daemon_threads = True


def configure(parser) -> None:
    parser.add_argument("--directory", default=os.getcwd(), help="folder to serve (default: current)")
    parser.add_argument("--stdlib", action="store_true",
                        help="plain SimpleHTTPRequestHandler: follows symlinks out of the folder")


def serve(args) -> None:
    base = SimpleHTTPRequestHandler if args.stdlib else ConfinedHandler
    handler = functools.partial(base, directory=args.directory)
    with Server((args.host, args.port), handler) as httpd:
        print(f"serving {os.path.abspath(args.directory)} "
              f"({'stdlib: follows symlinks' if args.stdlib else 'confined to the folder'})", flush=True)
        _runtime.ready(httpd.server_address)
        httpd.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
