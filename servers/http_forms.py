"""GET and POST forms on BaseHTTPRequestHandler, parsed with urllib.parse.parse_qs.

What it teaches
    Seed 003's CGI page had an HTML form whose ``action`` named a script;
    seed 000 handles "get and post requests".  Here one handler does both,
    and plays seed 001's last assignment, "guess a secret word":

    ``GET /``                 a page with a GET form and a POST form
    ``GET /search?q=...``     the GET form: the fields are in the URL's query
    ``POST /guess``           the POST form: the fields are in the body
                              (``application/x-www-form-urlencoded``)
    ``GET /<word>``           the seed's way to guess: the word is the path

What to watch for
    * ``parse_qs`` returns a list per field (a field may repeat) and decodes
      ``%XX`` and ``+``.  It replaces the removed ``cgi.FieldStorage`` for
      urlencoded forms only: it drops empty fields unless
      ``keep_blank_values=True``, and a ``multipart/form-data`` body (file
      uploads) needs ``email.parser`` / ``email.message`` or a library.
    * A POST body is exactly ``Content-Length`` bytes: read that many.
      ``self.rfile.read()`` without a size waits for the end of the
      connection, which a keep-alive client never sends.  No Content-Length:
      answer 411; a huge one: 413 (do not read it into memory).
    * Anything taken from the request goes back into HTML through
      ``html.escape`` (or a page can be made to run someone's script).
      ``--no-escape`` leaves it out: ``/search?q=<script>...`` then comes back
      as a live ``<script>`` element (reflected HTML injection, "XSS").
    * A browser re-sends a POST on reload; the usual answer is 303 See Other
      to a GET page (post/redirect/get).  Here /guess answers directly.

Sources: seeds 000, 001/002 (assignment 3) and 003; Python docs:
urllib.parse.parse_qs, http.server; RFC 9110 sections 9.3.1 (GET), 9.3.3
(POST), 8.6 (Content-Length), 15.5.12 (411), 15.5.14 (413); HTML standard,
"application/x-www-form-urlencoded".

Run:  python -m servers.http_forms [--secret WORD] [--no-escape]
"""
from __future__ import annotations

import html
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from servers import _runtime

MAX_BODY = 64 * 1024

FORM_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>forms</title></head><body>
<h1>Two forms</h1>
<form method="GET" action="/search">
  <label>search <input name="q"></label> <button>GET</button>
</form>
<form method="POST" action="/guess">
  <label>guess the secret word <input name="word"></label> <button>POST</button>
</form>
</body></html>
"""


class FormHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: so every response says its length
    secret = "python"
    no_escape = False  # --no-escape: the HTML injection demo

    def reply(self, status: int, text: str, content_type: str = "text/html; charset=utf-8") -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def escape(self, text: str) -> str:
        """``html.escape``: ``<`` ``>`` ``&`` ``"`` ``'`` become character references."""
        return text if self.no_escape else html.escape(text)

    def verdict(self, word: str) -> str:
        result = "right" if word == self.secret else "wrong"
        return f"<!DOCTYPE html>\n<p>{self.escape(word)} is {result}</p>\n"

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/":
            self.reply(200, FORM_PAGE)
        elif url.path == "/search":
            fields = parse_qs(url.query)  # {'q': ['caf\u00e9 au lait']}
            q = fields.get("q", [""])[0]
            self.reply(200, f"<!DOCTYPE html>\n<p>you searched for: {self.escape(q)}</p>\n")
        elif url.path == "/favicon.ico":
            self.reply(404, "no icon\n", "text/plain; charset=utf-8")
        else:  # the lecture's assignment: localhost:8000/<word>
            self.reply(200, self.verdict(unquote(url.path[1:])))

    def do_POST(self):
        if urlsplit(self.path).path != "/guess":
            self.reply(404, "POST goes to /guess\n", "text/plain; charset=utf-8")
            return
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True  # we cannot know where the body ends
            self.reply(411, "Content-Length required\n", "text/plain; charset=utf-8")
            return
        if int(length) > MAX_BODY:
            self.close_connection = True  # the unread body must not become the next request
            self.reply(413, "form too large\n", "text/plain; charset=utf-8")
            return
        body = self.rfile.read(int(length))  # exactly the body, never rfile.read()
        fields = parse_qs(body.decode("utf-8", "replace"))
        self.reply(200, self.verdict(fields.get("word", [""])[0]))

    def log_message(self, format, *args):
        host, port = self.client_address[:2]
        print(f"{host}:{port} {format % args}", flush=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True


def configure(parser) -> None:
    parser.add_argument("--secret", default="python", help="the word to guess (default %(default)s)")
    parser.add_argument("--no-escape", action="store_true",
                        help="echo the request's text into HTML unescaped (HTML injection)")


def serve(args) -> None:
    handler = type("FormHandler", (FormHandler,), {"secret": args.secret, "no_escape": args.no_escape})
    with Server((args.host, args.port), handler) as httpd:
        _runtime.ready(httpd.server_address)
        httpd.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
