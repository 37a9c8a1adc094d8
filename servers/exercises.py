"""Self-checks for the "write your own server" exercise of each layer (not a lesson).

The notebook writes the student's code to a file (``%%writefile``) in
:func:`folder`; :func:`check` starts it as a real server process with
:mod:`servers.student`, runs one of the checks below against it as a client,
and stops it.  A check reads like the exercise's spec: every failure says what
the client sent, what came back, and what was expected.

    check("socket", path, byte_counter)       # layer 1: serve_client(conn)
    check("stream", path, adder)              # layer 2: a StreamRequestHandler
    check("forking", path, shared_hits)       # layer 3: a handler under ForkingMixIn
    check("http", path, hello_page)           # layer 4: a BaseHTTPRequestHandler
    check("asyncio", path, sleepy_lines)      # layer 5: async def handle(reader, writer)

Raises :class:`NotWritten` when the student's code still raises
``NotImplementedError``, ``AssertionError`` (with the server's output) when a
check fails.
"""
from __future__ import annotations

import atexit
import html
import http.client
import shutil
import socket
import tempfile
import threading
import time
import urllib.parse

from servers.notebook import ServerError, start

_folder: str | None = None
STUB = "NotImplementedError: the exercise is not written yet"


class NotWritten(Exception):
    """The student's code still raises NotImplementedError."""


def folder() -> str:
    """A private temporary folder for the students' server files (removed at exit)."""
    global _folder
    if _folder is None:
        _folder = tempfile.mkdtemp(prefix="my-servers-")
        atexit.register(shutil.rmtree, _folder, True)
    return _folder


def check(kind: str, path: str, checker) -> None:
    """Run ``checker(address)`` against the student's server of ``kind`` in ``path``."""
    server = start("student", "--kind", kind, "--file", str(path), key="exercise")
    try:
        try:
            checker(server.address)
        except (AssertionError, OSError, EOFError, ValueError) as exc:
            try:  # a stub's report may still be on its way through the server's output pipe
                server.wait_for(STUB, timeout=1.0)
            except (TimeoutError, ServerError):
                pass
            else:
                raise NotWritten() from None
            lines = [line for line in server.output().splitlines() if not line.startswith("listening on")]
            output = "\n".join(lines[-25:]) or "(nothing)"
            what = str(exc) if isinstance(exc, AssertionError) else f"{type(exc).__name__}: {exc}"
            raise AssertionError(f"{what}\n\nyour server printed:\n{output}") from None
    finally:
        server.stop()


# -- the line clients the checks use -----------------------------------------------
class LineClient:
    """A client that sends bytes and reads ``\\n``-terminated answer lines, with a timeout."""

    def __init__(self, address, timeout: float = 5.0):
        self.sock = socket.create_connection(address, timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def line(self, sent: bytes) -> str:
        while b"\n" not in self.buffer:
            try:
                piece = self.sock.recv(4096)
            except TimeoutError:
                raise AssertionError(f"after sending {sent!r}: no answer line within "
                                     f"{self.sock.gettimeout():g} s (got {self.buffer!r} so far)") from None
            if not piece:
                raise AssertionError(f"after sending {sent!r}: the server closed the connection "
                                     f"(got {self.buffer!r} so far)")
            self.buffer += piece
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode("utf-8", "replace")

    def expect(self, sent: bytes, answers: list[str], *, pieces=None) -> None:
        for piece in pieces or [sent]:
            self.send(piece)
            if pieces:
                time.sleep(0.05)  # shape the traffic: each piece its own segment
        got = [self.line(sent) for _ in answers]
        assert got == answers, f"sent {sent!r}: expected the answer lines {answers!r}, got {got!r}"

    def expect_close(self, after: str) -> None:
        try:
            self.sock.shutdown(socket.SHUT_WR)
            rest = self.sock.recv(100)
        except TimeoutError:
            raise AssertionError(f"{after}, the client half-closed: the server should see b'' and "
                                 "close the connection, but it stayed open") from None
        assert rest == b"", f"{after}: expected the server to close, it sent {rest!r}"

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "LineClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- layer 1 ---------------------------------------------------------------------------
def byte_counter(address) -> None:
    """Each ``\\n``-terminated line is answered with its length in bytes (UTF-8, without ``\\n``)."""
    with LineClient(address) as c:
        c.expect(b"hello\n", ["5"])
        c.expect(b"h\xc3\xa9llo w\xc3\xb6rld\n", ["13"])  # 'héllo wörld': 11 characters, 13 bytes
        c.expect(b"a\nbb\n\n", ["1", "2", "0"])  # three lines in one piece
        c.expect(b"split line\n", ["10"], pieces=[b"spl", b"it li", b"ne\n"])  # one line in three pieces
        c.expect_close("after the answers")
    with LineClient(address) as c:  # the server serves the next client too
        c.expect(b"again\n", ["5"])


# -- layer 2 ---------------------------------------------------------------------------
def adder(address) -> None:
    """Each line of whole numbers separated by spaces is answered with their sum; else ``error``."""
    with LineClient(address) as c:
        c.expect(b"1 2 3\n", ["6"])
        c.expect(b"-5 5 10\n", ["10"])
        c.expect(b"40\n", ["40"])
        c.expect(b"two 2\n", ["error"])
        c.expect(b"7 8\n", ["15"])  # still serving after an error
        with LineClient(address) as other:  # a second client while the first is connected
            other.expect(b"100 1\n", ["101"])
        c.expect_close("after the answers")


# -- layer 3 ---------------------------------------------------------------------------
def shared_hits(address) -> None:
    """``HIT`` is answered with the number of hits so far, over all connections (processes)."""
    answers = []
    for connection in range(3):
        with LineClient(address) as c:
            for _ in range(2):
                c.send(b"HIT\n")
                answers.append(c.line(b"HIT\n"))
    assert answers == ["1", "2", "3", "4", "5", "6"], (
        f"3 connections, one after the other, sent HIT twice each: expected 1 to 6, got {answers}. "
        "Each connection is a new child process: a counter in the handler or in a global starts "
        "again from the parent's copy. Use self.server.hits (a multiprocessing.Value).")
    clients = [LineClient(address) for _ in range(4)]
    try:
        for c in clients:
            c.send(b"HIT\n")
        together = sorted(int(c.line(b"HIT\n")) for c in clients)
    finally:
        for c in clients:
            c.close()
    assert together == [7, 8, 9, 10], (
        f"4 connections at once sent one HIT each: expected 7, 8, 9, 10 in some order, got {together}. "
        "Read and increase the counter under its lock: with self.server.hits.get_lock(): ...")


# -- layer 4 ---------------------------------------------------------------------------
def hello_page(address) -> None:
    """``GET /hello?name=N``: 200, an HTML page ``<p>hello N</p>`` (N escaped); else 404."""

    def get(path):
        conn = http.client.HTTPConnection(*address, timeout=5)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), \
                response.getheader("Content-Length"), response.read()
        finally:
            conn.close()

    for name in ["Ada", "Zoë 你好", "<b>&'\"", None]:
        path = "/hello" + ("?" + urllib.parse.urlencode({"name": name}) if name is not None else "")
        status, ctype, length, body = get(path)
        expected = f"<p>hello {html.escape(name if name is not None else 'stranger')}</p>".encode()
        assert status == 200, f"GET {path}: expected status 200, got {status}"
        assert ctype.replace(" ", "").lower() == "text/html;charset=utf-8", \
            f"GET {path}: expected Content-Type 'text/html; charset=utf-8', got {ctype!r}"
        assert length is not None and length.isdigit(), f"GET {path}: no Content-Length header"
        assert body.strip() == expected, f"GET {path}: expected the body {expected!r}, got {body!r}"
        assert int(length) == len(body), \
            f"GET {path}: Content-Length says {length}, the body has {len(body)} bytes"
    status, _, _, _ = get("/nowhere")
    assert status == 404, f"GET /nowhere: expected status 404, got {status}"


# -- layer 5 ---------------------------------------------------------------------------
def sleepy_lines(address) -> None:
    """Each line is a number of milliseconds N; the answer ``slept N`` comes N ms later."""
    with LineClient(address) as c:
        c.expect(b"0\n", ["slept 0"])
        c.expect(b"10\n20\n", ["slept 10", "slept 20"])
    slow, quick = LineClient(address, timeout=10), LineClient(address, timeout=10)
    try:
        order: list[str] = []
        slow.send(b"1500\n")
        time.sleep(0.05)  # the slow request is in first
        quick.send(b"0\n")
        waiter = threading.Thread(target=lambda: order.append("slow " + slow.line(b"1500\n")))
        waiter.start()
        order.append("quick " + quick.line(b"0\n"))
        waiter.join(10)
        assert order == ["quick slept 0", "slow slept 1500"], (
            f"client A sent 1500, then client B sent 0: B should be answered first, got {order}. "
            "Wait with await asyncio.sleep(...), never time.sleep(...): a blocking call stops "
            "every client.")
    finally:
        slow.close()
        quick.close()
