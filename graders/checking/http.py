"""A strict HTTP/1.1 client for checks, over the harness's scripted clients.

:func:`http_get` sends one ``GET`` request (built by h11, with ``Host`` and
``Connection: close``) on a new :class:`~graders.checking.harness.Client`, reads the
response (the head; then Content-Length bytes and whatever else comes within
0.5 s, or, without a Content-Length, until the server closes the connection
(RFC 9112 section 6.3)), parses its head with h11
(RFC 9112: status line, header fields) and returns a :class:`Response`.  The
body is the bytes that actually followed the head, *not* cut to the
``Content-Length``, so a check can compare the two (RFC 9110 section 8.6).
Request and response are written to the transcript.

A reply that is not an HTTP response (no status line, malformed header
fields) raises :class:`~graders.checking.checks.Failure` with a student-facing
rationale.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import h11

from graders.checking.results import Failure
from graders.checking.harness import show

HEAD_END = re.compile(rb"\r?\n\r?\n")
RESPONSE_LIMIT = 1 << 20  # bytes of a response body read at most
HEAD_LIMIT = 1 << 16  # bytes of a response head read at most
EXTRA_WAIT = 0.5  # seconds to wait for bytes beyond the Content-Length, when the server keeps the connection
HEAD_HELP = ("With http.server, call self.send_response(200), then self.send_header(...) for each header, "
             "then self.end_headers(), and only then write the page.")


@dataclass
class Response:
    """One HTTP response as received.

    ``headers`` are (lower-case name, value) pairs in order (values decoded
    as ISO-8859-1); ``body`` is every byte received after the head (see
    :func:`http_get`: possibly more or fewer than the Content-Length says);
    ``closed`` tells whether the server had closed the connection.
    """

    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    raw: bytes = b""
    who: str = ""  # the client that received it (its name in the transcript): a Failure's ``at``
    closed: bool = True

    def header(self, name: str) -> str | None:
        """The first value of header field ``name`` (any case), None when absent."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def content_length(self) -> int | None:
        """The Content-Length as a number; None when absent or not a number."""
        value = self.header("content-length")
        return int(value) if value is not None and value.strip().isdigit() else None

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    def status_line(self) -> str:
        return f"HTTP/{self.http_version} {self.status} {self.reason}".rstrip()


def media_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``("text/html", {"charset": "utf-8"})`` for ``text/html; charset="UTF-8"``.

    Type and parameter names are lower-cased, quotes removed (RFC 9110
    section 8.3.1); ``("", {})`` for None.  Parameter values keep their case.
    """
    if not value:
        return "", {}
    kind, *params = value.split(";")
    parsed = {}
    for param in params:
        key, _, val = param.partition("=")
        parsed[key.strip().lower()] = val.strip().strip('"')
    return kind.strip().lower(), parsed


def http_get(server, name: str, target: str, *, headers: list[tuple[str, str]] | tuple = (),
             timeout: float = 5.0) -> Response:
    """Client ``name`` sends ``GET target HTTP/1.1`` to ``server`` and reads the response.

    ``target`` is sent as it is (percent-encode it yourself); ``headers`` are
    added after Host, User-Agent, Accept and Connection: close.  Reads until
    the response is complete (see the module docstring), at most ``timeout``
    seconds per part.  Raises Failure when the server does not answer or the
    answer is not HTTP.
    """
    client = server.client(name)
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(method="GET", target=target, headers=[
        ("Host", f"localhost:{server.port}"), ("User-Agent", "graders-http-check"),
        ("Accept", "text/html"), ("Connection", "close"), *headers])
    client.send(conn.send(request) + conn.send(h11.EndOfMessage()))
    raw = client.receive_until(b"\r\n\r\n", limit=HEAD_LIMIT, timeout=timeout)
    if raw.endswith(b"\r\n\r\n") and not client.peer_closed:
        declared = re.search(rb"(?im)^content-length[ \t]*:[ \t]*(\d{1,9})[ \t]*\r$", raw)
        if declared:  # read that many bytes, then whatever else comes before the server closes
            raw += client.receive(int(declared.group(1)), timeout=timeout)
            if not client.peer_closed:
                raw += client.receive(RESPONSE_LIMIT, timeout=EXTRA_WAIT, patient=False)
        else:
            raw += client.receive_until_closed(limit=RESPONSE_LIMIT, timeout=timeout)
    client.close(quiet=True)
    if not raw:
        why = "closed the connection" if client.peer_closed else f"sent nothing in {timeout:g} s"
        raise Failure(f"the server {why} when client {name} asked for {target}", at=name,
                      expected="an HTTP response, e.g. 'HTTP/1.0 200 OK' then headers and the page",
                      actual="nothing",
                      help="Answer every GET request: self.send_response(200), self.send_header(...), "
                           "self.end_headers(), then self.wfile.write(page bytes).")
    try:
        response = parse_response(raw, closed=client.peer_closed)
    except Failure as exc:
        exc.at = exc.at or name
        raise
    response.who = name
    summary = "; ".join(f"{k}: {v}" for k, v in response.headers if k in ("content-type", "content-length"))
    server.transcript.add(name, f"reads {response.status_line()}" + (f" ({summary})" if summary else "")
                          + f", then a body of {len(response.body)} bytes")
    return response


def parse_response(raw: bytes, *, closed: bool = True) -> Response:
    """Parse ``raw`` (a whole response as received); raises Failure when it is not HTTP/1.x."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "localhost")]))
    conn.send(h11.EndOfMessage())
    if not re.match(rb"HTTP/\d", raw):
        raise Failure("the reply is not a valid HTTP response (it does not start with a status line)",
                      expected="a status line such as 'HTTP/1.0 200 OK', header lines, an empty line, "
                               "then the page",
                      actual=show(raw), help=HEAD_HELP)
    conn.receive_data(raw)
    try:
        event = conn.next_event()
        while isinstance(event, h11.InformationalResponse):
            event = conn.next_event()
    except h11.RemoteProtocolError as exc:
        raise Failure(f"the reply is not a valid HTTP response ({exc})",
                      expected="a status line such as 'HTTP/1.0 200 OK', header lines, an empty line, "
                               "then the page",
                      actual=show(raw),
                      help=HEAD_HELP) from exc
    if not isinstance(event, h11.Response):
        raise Failure("the reply ended before its header lines did",
                      expected="a status line, header lines and an empty line (\\r\\n\\r\\n)",
                      actual=show(raw), help="Call self.end_headers() after the last send_header().")
    match = HEAD_END.search(raw)
    body = raw[match.end():] if match else b""
    return Response(status=event.status_code, reason=event.reason.decode("latin-1"),
                    http_version=event.http_version.decode("ascii"),
                    headers=[(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in event.headers],
                    body=body, raw=raw, closed=closed)
