"""The secret word web server's spec as a pure state machine (solutions/secret_word/secret_word.ipynb).

Each connection carries one ``GET`` request (HTTP/1.0, or HTTP/1.1 with ``Connection:
close``), as the grader's clients send them.  Rules, by spec point:

* 1 -- the server reads the whole request head (up to ``\\r\\n\\r\\n``), however it arrives,
  before it answers, and goes on serving after clients that leave without a request or in
  the middle of one (they need no answer).  One request at a time is allowed
  (``HTTPServer``): a response is not due while a client that connected earlier is in the
  middle of its request.
* 2 -- the secret is ``SECRET_WORD`` exactly as it is (spaces, case and all).
* 3 -- ``GET /WORD`` is a guess of ``urllib.parse.unquote(WORD)`` (UTF-8, bytes that are not
  UTF-8 become U+FFFD), compared exactly.  Decided here (issue 21): a target starting with
  ``//`` is the word with its leading slashes (``unquote(path[1:])``) or without them (what
  ``http.server`` makes of such a path since Python 3.12): either is allowed.
* 4 -- the response: a status line ``HTTP/1.x 200 ...``, every head line ending in ``\\r\\n``,
  ``Content-Type: text/html; charset=utf-8``, a ``Content-Length`` equal to the body's
  bytes, a UTF-8 body with exactly one of ``is wrong`` / ``is right`` / ``already found``
  and (with the first two) the guess ``html.escape``-d, then the end of the stream.
* 5 -- ``GET /favicon.ico`` gets a ``404`` response and changes nothing.
* 6 -- "found" is shared: every guess answered after a right one hears ``already found``.

The explorer sends one step at a time and waits until the server has dealt with it, so the
model judges the responses in the order the requests were completed.
"""
from __future__ import annotations

import html
import re
from urllib.parse import unquote

from graders.checking.model import Connection, Model, Violation

PHRASES = ("is wrong", "is right", "already found")
WRONG, RIGHT, FOUND = PHRASES
HEAD_END = b"\r\n\r\n"
STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?\Z")

FRAMING_HELP = ("Read the whole request head before answering: with http.server that is done for you; "
                "with recv(), read until b'\\r\\n\\r\\n' (a request may come in pieces).")
HEAD_HELP = ("With http.server: self.send_response(200), self.send_header(...) for each header, "
             "self.end_headers(), then self.wfile.write(page): every head line ends in b'\\r\\n'.")
TYPE_HELP = "self.send_header('Content-Type', 'text/html; charset=utf-8') (spelled utf-8, with the dash)."
LENGTH_HELP = ("Content-Length is the number of BYTES of the body: encode the page first, "
               "body = page.encode('utf-8'), then send_header('Content-Length', str(len(body))).")
PAGE_HELP = ("The page holds exactly one of 'is wrong', 'is right', 'already found' (not in a title or "
             "instructions either), and with the first two the guess, html.escape(word).")
WORD_HELP = ("The guess is urllib.parse.unquote(self.path[1:]) (UTF-8; '+' stays '+'), compared with the "
             "secret exactly: no lower(), no strip(); the secret is os.environ['SECRET_WORD'] as it is.")
FOUND_HELP = ("'found' belongs to the whole server (a global, or a class attribute of the server, under a "
              "lock), so every later request on any connection, thread or process hears 'already found'.")
FAVICON_HELP = ("GET /favicon.ico is not a guess: self.send_error(404) and return, before and after the "
                "word was found, without changing anything.")
CLOSE_HELP = ("Close the connection after the response to an HTTP/1.0 request or one that says "
              "Connection: close (http.server does; with raw sockets, close it yourself).")


def show(data: bytes) -> str:
    return repr(data[:80]) + (f" ... ({len(data)} bytes)" if len(data) > 80 else f" ({len(data)} bytes)")


def request_target(request: bytes) -> str | None:
    """The target of a complete ``GET`` request head, or None."""
    line = request.split(b"\r\n", 1)[0].split(b" ")
    return line[1].decode("latin-1") if len(line) == 3 else None


def words_of(target: str) -> tuple[str, ...]:
    """The words a guess at ``target`` may stand for (see the module doc on ``//``)."""
    word = unquote(target[1:])
    if target.startswith("//"):
        return (word, unquote("/" + target.lstrip("/"))[1:])
    return (word,)


def parse(data: bytes) -> tuple[int, list[tuple[str, str]], bytes, str | None] | None:
    """(status, headers, body, problem) of a response whose head is complete, None before that.

    ``problem`` names what breaks the message format (a bare ``\\n``, no status line), or None.
    """
    end = data.find(HEAD_END)
    if end < 0:
        loose = re.search(rb"\r?\n\r?\n", data)
        if loose is None:
            return None
        head = data[:loose.start()]
        return 0, [], data[loose.end():], "its head's lines end in a bare b'\\n', not b'\\r\\n'"
    head, body = data[:end], data[end + len(HEAD_END):]
    lines = head.split(b"\r\n")
    if any(b"\n" in line or b"\r" in line for line in lines):
        return 0, [], body, "its head's lines end in a bare b'\\n', not b'\\r\\n'"
    status = STATUS_LINE.match(lines[0])
    if status is None:
        return 0, [], body, f"it does not start with a status line such as 'HTTP/1.0 200 OK' ({show(lines[0])})"
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            return int(status.group(1)), headers, body, f"a malformed header line {show(line)}"
        headers.append((name.decode("latin-1").lower(), value.strip().decode("latin-1")))
    return int(status.group(1)), headers, body, None


def media_type(value: str | None) -> tuple[str, dict[str, str]]:
    if not value:
        return "", {}
    kind, *params = value.split(";")
    parsed = {}
    for param in params:
        key, _, val = param.partition("=")
        parsed[key.strip().lower()] = val.strip().strip('"')
    return kind.strip().lower(), parsed


class SecretWordModel(Model):
    RULES = {
        1: "each whole request is read before the answer, however it arrives; the server goes on after "
           "clients that leave early",
        2: "the secret is SECRET_WORD exactly as it is",
        3: "GET /WORD guesses unquote(WORD), compared exactly",
        4: "a well-formed 200 response: CRLF, text/html; charset=utf-8, Content-Length in bytes, one verdict "
           "and the escaped guess; then the connection closes",
        5: "GET /favicon.ico gets 404 and changes nothing",
        6: "'found' is shared by all requests",
    }

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret
        self.found_by: str | None = None
        self.judged: set[str] = set()

    @staticmethod
    def complete(conn: Connection) -> bool:
        return HEAD_END in conn.sent

    def blocked(self, conn: Connection) -> bool:
        return any(other.order < conn.order and not self.complete(other) and not other.gone and not other.closed
                   for other in self.connections.values())

    def waiting(self, name: str) -> bool:
        return self.blocked(self.connections[name])

    def due(self, name: str) -> bool:
        conn = self.connections[name]
        return self.complete(conn) and not conn.reset and not conn.closed and not self.blocked(conn)

    def stop_point(self) -> int:
        return 1

    def judge(self, name: str, *, idle: bool) -> Violation | None:
        conn = self.connections[name]
        who = f"client {conn.name}"
        if conn.reset:
            return None
        if not self.complete(conn):
            if conn.gone:
                # It left in the middle of its request: anything goes.  But a server may take what came as
                # a request (http.server does at the end of the stream, even "GET /app" as HTTP/0.9): a
                # response that says "is right" found the word.
                if "is right" in conn.got.decode("utf-8", "replace").lower() and self.found_by is None:
                    self.found_by = conn.name
                return None
            if conn.got:
                return Violation(1, f"your server answered {who} before its request was complete "
                                    f"({len(conn.sent)} bytes, no empty line yet)", help=FRAMING_HELP,
                                 expected="nothing until the request head ends (b'\\r\\n\\r\\n')",
                                 actual=show(conn.got))
            if conn.closed:
                return Violation(1, f"your server closed the connection of {who} before its request was "
                                    f"complete", help=FRAMING_HELP, expected="the connection open",
                                 actual="the end of the stream")
            return None
        target = request_target(conn.sent[:conn.sent.index(HEAD_END)])
        if target == "/":
            return self.closing(conn, f"{who} asked GET /", idle) if conn.got else None  # any page: not graded
        parsed = parse(conn.got)
        if parsed is None or not conn.closed and not idle:
            if parsed is None and (conn.closed or idle and not self.blocked(conn)):
                return Violation(1 if not conn.got else 4,
                                 f"{who} asked GET {target} and got " + ("no response" if not conn.got else
                                                                           "an incomplete response head"),
                                 help=FRAMING_HELP if not conn.got else HEAD_HELP,
                                 expected="an HTTP response", actual=show(conn.got) if conn.got else
                                 ("nothing, then the end of the stream" if conn.closed else "nothing"))
            return None
        status, headers, body, problem = parsed
        ask = f"{who} asked GET {target}"
        if problem:
            return Violation(4, f"{ask}: the response is not well-formed HTTP: {problem}", help=HEAD_HELP,
                             expected="HTTP/1.0 200 OK\\r\\n, header lines ending in \\r\\n, an empty line",
                             actual=show(conn.got))
        header = dict(reversed(headers))
        if target == "/favicon.ico":
            if status != 404:
                return Violation(5, f"{ask} and got status {status}", help=FAVICON_HELP, expected="404",
                                 actual=str(status))
            length = header.get("content-length")
            if length is not None and length.isdigit() and len(body) > int(length) and (conn.closed or idle):
                return Violation(5, f"{ask}: after the 404 response came {len(body) - int(length)} more bytes",
                                 help=FAVICON_HELP, expected="the 404 response and nothing else",
                                 actual=show(body[int(length):]))
            return self.closing(conn, ask, idle)
        length = header.get("content-length")
        if length is not None and length.isdigit() and len(body) < int(length) and not conn.closed:
            return None if not idle else Violation(4, f"{ask}: the body is shorter than its Content-Length",
                                                   help=LENGTH_HELP, expected=f"{length} bytes",
                                                   actual=f"{len(body)} bytes")
        if status != 200:
            return Violation(4, f"{ask} and got status {status}", help=HEAD_HELP, expected="200",
                             actual=str(status))
        kind, params = media_type(header.get("content-type"))
        if kind != "text/html" or params.get("charset", "").lower() != "utf-8":
            spelled = params.get("charset", "")
            return Violation(4, f"{ask}: the response's Content-Type is not text/html; charset=utf-8"
                                + (f" (charset {spelled!r}: spell it utf-8)" if spelled.lower() == "utf8" else ""),
                             help=TYPE_HELP, expected="text/html; charset=utf-8",
                             actual=header.get("content-type", "no Content-Type"))
        if length is None or not length.isdigit() or int(length) != len(body):
            return Violation(4, f"{ask}: Content-Length does not count the body's bytes", help=LENGTH_HELP,
                             expected=f"Content-Length: {len(body)}", actual=f"Content-Length: {length}")
        try:
            page = body.decode("utf-8")
        except UnicodeDecodeError:
            return Violation(4, f"{ask}: the page is not UTF-8", help="Encode the page with "
                                "page.encode('utf-8'), as its charset says.", expected="UTF-8", actual=show(body))
        if name in self.judged:
            return self.closing(conn, ask, idle)  # its verdict was judged (and "found" updated) already
        said = [phrase for phrase in PHRASES if phrase in page.lower()]
        words = words_of(target)
        found = self.found_by is not None
        right = any(word == self.secret for word in words)
        allowed = {FOUND} if found else {RIGHT, WRONG} if len(set(w == self.secret for w in words)) > 1 \
            else {RIGHT} if right else {WRONG}
        if len(said) != 1:
            return Violation(4, f"{ask}: the page holds {len(said)} of the verdicts {', '.join(PHRASES)}"
                                + (f" ({', '.join(said)})" if said else ""), help=PAGE_HELP,
                             expected=" or ".join(sorted(allowed)), actual=show(body))
        verdict = said[0]
        if verdict not in allowed:
            return self.wrong_verdict(conn, ask, verdict, allowed, words)
        if verdict != FOUND:
            escaped = [html.escape(w) for w in words] + [html.escape(w, quote=False) for w in words]
            if not any(e in page for e in escaped):
                raw = target[1:]
                if "%" in raw and html.escape(raw) in page:
                    return Violation(3, f"{ask}: the page shows {raw!r} as it came, not percent-decoded "
                                        f"({words[0]!r})", help=WORD_HELP, expected=html.escape(words[0]),
                                     actual=show(body))
                return Violation(4, f"{ask}: the page does not show the guess {words[0]!r} HTML-escaped",
                                 help=PAGE_HELP, expected=f"the page holding {html.escape(words[0])!r}",
                                 actual=show(body))
        self.judged.add(name)
        if verdict == RIGHT:
            self.found_by = conn.name
        return self.closing(conn, ask, idle)

    def wrong_verdict(self, conn: Connection, ask: str, verdict: str, allowed: set[str],
                      words: tuple[str, ...]) -> Violation:
        expected = " or ".join(sorted(allowed))
        if self.found_by is not None:
            return Violation(6, f"{ask} after client {self.found_by} was right, and the page says "
                                f"{verdict!r}", help=FOUND_HELP, expected=FOUND, actual=verdict)
        if verdict == FOUND:
            return Violation(4, f"{ask}: the page says 'already found', but nobody had found the word",
                             help=PAGE_HELP, expected=expected, actual=verdict)
        target = ask.rsplit(" ", 1)[-1]
        plain = verdict == WRONG and "%" not in target and "+" not in target and target[1:] == self.secret
        return Violation(2 if plain else 3,
                         f"{ask}: the word is {words[0]!r} and the secret (SECRET_WORD) is {self.secret!r}, "
                         f"yet the page says {verdict!r}",
                         help=("The secret is os.environ['SECRET_WORD'] exactly as it is, when it is set "
                               "(no lower(), no strip()), picked once at start-up.") if plain else WORD_HELP,
                         expected=expected, actual=verdict)

    def closing(self, conn: Connection, ask: str, idle: bool) -> Violation | None:
        if idle and not conn.closed:
            return Violation(4, f"{ask} (HTTP/1.0 or Connection: close) and got the response, but your server "
                                f"kept the connection open", help=CLOSE_HELP,
                             expected="the end of the stream", actual="the connection still open")
        return None
