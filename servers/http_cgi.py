"""Seed 003's CGI server: HTTPServer + CGIHTTPRequestHandler running cgi-bin/*.py.

What it teaches
    The "simplest cgi server" of seed 003 in three parts: this main program,
    an ``index.html`` whose form's ``action`` is a script, and the script in
    ``cgi-bin/`` (``servers/cgi_site/``).  For every request to
    ``/cgi-bin/greet.py`` the server starts the script as a new process,
    passes the request in environment variables and standard input, and sends
    back what the script prints (CGI/1.1, RFC 3875).

What to watch for
    * History.  The ``cgi`` module the seed's script used
      (``cgi.FieldStorage``) was removed in Python 3.13 (PEP 594); the script
      here uses ``urllib.parse.parse_qs``.  ``http.server.CGIHTTPRequestHandler``
      is deprecated since 3.13 (it raises DeprecationWarning when a request
      creates it) and is removed in 3.15.  On a Python without it this module
      prints why and exits with status 2.  What replaced CGI for decoupled
      applications is WSGI (PEP 3333; ``wsgiref``, see ``http_wsgi``).
    * One process per request: simple and isolated, and slow.
    * Permissions (seed 003: "Python executes all cgi scripts as 'others'"):
      on Unix the stdlib handler forks and, when the server runs as root,
      switches to the user ``nobody`` before running the script -- so the
      script, its folders and its interpreter must be readable and executable
      by others (``chmod 0755``).  This server sets ``have_fork = False``,
      the handler's other code path: it runs ``*.py`` scripts with the
      server's own interpreter through ``subprocess``, as the same user.
    * The script's output must start with headers and an empty line; the
      server adds only the status line (``200 Script output follows``).

Sources: seed 003 (CGIHTTPRequestHandler, cgi-bin/, cgi.FieldStorage, chmod
0755); Python docs: http.server.CGIHTTPRequestHandler, "What's New in Python
3.13" (removed cgi, deprecated CGIHTTPRequestHandler); PEP 594; RFC 3875.

Run:  python -m servers.http_cgi [--directory servers/cgi_site]
"""
from __future__ import annotations

import functools
import http.server
import os
import sys

from servers import _runtime

SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cgi_site")


def available() -> bool:
    """Does this Python still have http.server.CGIHTTPRequestHandler?"""
    return hasattr(http.server, "CGIHTTPRequestHandler")


def configure(parser) -> None:
    parser.add_argument("--directory", default=SITE,
                        help="folder with index.html and cgi-bin/ (default: servers/cgi_site)")


def serve(args) -> None:
    if not available():
        print(f"http.server.CGIHTTPRequestHandler is gone from Python "
              f"{sys.version_info.major}.{sys.version_info.minor} (removed in 3.15): "
              "use WSGI (wsgiref) instead -- see servers/http_wsgi.py", flush=True)
        sys.exit(2)
    if sys.version_info >= (3, 13):
        print("note: CGIHTTPRequestHandler is deprecated since Python 3.13 and removed in 3.15",
              flush=True)
    # Looked up only here, at run time, never when the module is imported.
    base = http.server.CGIHTTPRequestHandler
    handler_class = type("Handler", (base,), {"have_fork": False})
    handler = functools.partial(handler_class, directory=args.directory)
    with http.server.HTTPServer((args.host, args.port), handler) as httpd:
        _runtime.ready(httpd.server_address)
        httpd.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
