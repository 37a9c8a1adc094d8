"""The seed's ourwebserver.py: HTTPServer + BaseHTTPRequestHandler.do_GET, fixed.

What it teaches
    A web server in a few lines (MCS 275 lecture 33, "The BaseHTTPServer
    Module", seeds 001 and 002): ``do_GET`` looks at ``self.path`` and writes
    a response -- a status line, headers, an empty line, the body
    (RFC 9112 section 2.1 and 4, RFC 9110 section 15).  Routes:

    ``/``              the seed's dynamic HTML page ("hello client"), with
                       some non-ASCII text in it
    ``/hello?name=N``  a page made for this request (the name is HTML-escaped)
    anything else      404 Not Found

What to watch for (each flag brings back one mistake)
    * ``--seed-404``: the seed's else-branch only writes ``/x not found`` --
      no status line, no headers.  That is not an HTTP/1.x response at all;
      strict clients (h11, http.client, curl) reject it.  The fix is
      ``send_response(404)`` + headers + ``end_headers()`` before the body.
    * ``--length chars``: Content-Length counted in characters (``len(str)``)
      instead of bytes.  With non-ASCII text the body is longer in UTF-8 than
      the header says, so the client stops early and the rest of the body is
      read as the start of the next response (RFC 9112 section 6.3).
      ``--length none`` sends no Content-Length, as the seed did.
    * ``--protocol HTTP/1.1``: BaseHTTPRequestHandler speaks HTTP/1.0 (one
      request per connection, the end of the body is the end of the
      connection) unless ``protocol_version`` is set.  With HTTP/1.1 the
      connection is kept alive for more requests, so every response MUST say
      where its body ends: with ``--length none`` the client waits forever.

Sources: seeds 001/002 (ourwebserver.py); Python docs: http.server
(BaseHTTPRequestHandler, protocol_version, send_response, send_error);
RFC 9110 sections 8.6 (Content-Length) and 15.5.5 (404); RFC 9112 sections
4 (status line), 6.3 (message body length) and 9.3 (persistence).

Run:  python -m servers.http_ourwebserver [--seed-404] [--length bytes|chars|none]
      [--protocol HTTP/1.0|HTTP/1.1]
"""
from __future__ import annotations

import html
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

from servers import _runtime

dynhtml = """<HTML>
<HEAD><META charset="utf-8"><TITLE>My Home Page</TITLE></HEAD>
<BODY> <CENTER>
<H1> hello client </H1>
<P> Grüße aus dem Server — 你好 — ¡hola! </P>
</CENTER> </BODY>
</HTML>"""


class WebServer(BaseHTTPRequestHandler):
    """Illustration to set up a web server (the seed's class, with real responses)."""

    seed_404 = False
    length = "bytes"

    def send_text(self, status: int, text: str, content_type: str = "text/html; charset=utf-8") -> None:
        body = text.encode("utf-8")
        self.send_response(status)  # the status line, plus Server: and Date:
        self.send_header("Content-Type", content_type)
        if self.length == "bytes":
            self.send_header("Content-Length", str(len(body)))
        elif self.length == "chars":
            self.send_header("Content-Length", str(len(text)))  # WRONG for non-ASCII text
        self.end_headers()  # the empty line that ends the headers
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/":
            self.send_text(200, dynhtml)
        elif url.path == "/hello":
            name = parse_qs(url.query).get("name", ["client"])[0]
            self.send_text(200, f"<!DOCTYPE html>\n<title>hello</title>\n"
                                f"<h1>hello {html.escape(name)}</h1>\n")
        elif self.seed_404:
            message = self.path + " not found"
            self.wfile.write(message.encode())  # the lecture's: no status line, no headers
        else:
            self.send_text(404, self.path + " not found\n", "text/plain; charset=utf-8")

    def log_message(self, format, *args):  # show the client's port: one port = one connection
        host, port = self.client_address[:2]
        print(f"{host}:{port} {format % args}", flush=True)


def configure(parser) -> None:
    parser.add_argument("--seed-404", action="store_true",
                        help="answer unknown paths like the seed: a body without a status line")
    parser.add_argument("--length", choices=["bytes", "chars", "none"], default="bytes",
                        help="how Content-Length is computed (default %(default)s)")
    parser.add_argument("--protocol", choices=["HTTP/1.0", "HTTP/1.1"], default="HTTP/1.0",
                        help="BaseHTTPRequestHandler.protocol_version (default %(default)s)")


def serve(args) -> None:
    handler = type("WebServer", (WebServer,), {
        "seed_404": args.seed_404, "length": args.length, "protocol_version": args.protocol})
    with HTTPServer((args.host, args.port), handler) as ws:
        print(f"welcome to our web server ({args.protocol}, Content-Length in {args.length}"
              f"{', seed 404' if args.seed_404 else ''})", flush=True)
        _runtime.ready(ws.server_address)
        ws.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
