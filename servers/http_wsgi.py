"""What replaced CGI: a WSGI application, served here by wsgiref.simple_server.

What it teaches
    Seed 003 liked CGI because it "allows nice de-coupling of codes": the
    script does not care which web server runs it.  WSGI (PEP 3333) keeps
    that decoupling without a process per request: an application is one
    callable ``app(environ, start_response)`` that returns the body as an
    iterable of bytes.  The same ``app`` runs under ``wsgiref`` (stdlib,
    for development), under production servers (gunicorn, uWSGI, mod_wsgi,
    waitress), in a test with no server at all, or even as a CGI script
    (``wsgiref.handlers.CGIHandler().run(app)``).  Routes: ``/`` (a form),
    ``/greet?name=N`` (GET) and ``POST /greet`` (form body).

What to watch for
    * ``environ`` is CGI's environment dictionary (REQUEST_METHOD,
      QUERY_STRING, CONTENT_LENGTH...) plus ``wsgi.input`` for the body:
      read exactly CONTENT_LENGTH bytes from it.
    * ``start_response`` takes a status *string* ("200 OK") and a list of
      (name, value) *str* pairs; the body must be bytes.
      ``wsgiref.validate.validator(app)`` checks all that (``--validate``).
    * ``wsgiref.simple_server`` is single-threaded and HTTP/1.0-style: fine
      for learning and tests, not for production.

Sources: seed 003 (CGI "de-coupling"); PEP 3333; Python docs: wsgiref
(simple_server.make_server, validate.validator, handlers.CGIHandler,
util.setup_testing_defaults).

Run:  python -m servers.http_wsgi [--validate]
"""
from __future__ import annotations

import html
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.validate import validator

from servers import _runtime

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>WSGI</title></head><body>
<form method="POST" action="/greet"><input name="name"> <button>greet</button></form>
</body></html>
"""


def app(environ, start_response):
    """A complete WSGI application: no server code in here at all."""
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO", "/")
    if path == "/" and method == "GET":
        status, text = "200 OK", PAGE
    elif path == "/greet" and method in ("GET", "POST"):
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            data = environ["wsgi.input"].read(length).decode("utf-8", "replace")
        else:
            data = environ.get("QUERY_STRING", "")
        name = parse_qs(data).get("name", ["stranger"])[0]
        status, text = "200 OK", f"<!DOCTYPE html>\n<p>hello {html.escape(name)} (WSGI, {method})</p>\n"
    else:
        status, text = "404 Not Found", f"{path} not found\n"
    body = text.encode("utf-8")
    kind = "text/plain" if status.startswith("404") else "text/html"
    start_response(status, [("Content-Type", f"{kind}; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        print(f"{self.client_address[0]} {format % args}", flush=True)


def configure(parser) -> None:
    parser.add_argument("--validate", action="store_true", help="wrap the app in wsgiref.validate.validator")


def serve(args) -> None:
    application = validator(app) if args.validate else app
    with make_server(args.host, args.port, application, handler_class=QuietHandler) as httpd:
        _runtime.ready(httpd.server_address)
        httpd.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
