"""The "write your own server" exercises: servers/student.py runs a file, servers/exercises.py checks it.

Each exercise's reference answer is taken from the solutions notebook, its stub
from the released notebook (so both stay what the students see); every check
must pass the answer, report the stub as not written, and fail a typical
wrong answer with a message naming what went wrong.
"""
from __future__ import annotations

import textwrap

import nbformat
import pytest
from layer12_helpers import REPO

from servers import exercises

CASES = {  # grade_id: (notebook, kind, check)
    "byte_counter": ("01_sockets", "socket", exercises.byte_counter),
    "adder": ("02_socketserver", "stream", exercises.adder),
    "shared_hits": ("03_processes", "forking", exercises.shared_hits),
    "hello_page": ("04_http", "http", exercises.hello_page),
    "sleepy_lines": ("05_beyond", "asyncio", exercises.sleepy_lines),
}

WRONG = {  # a typical mistake for each, and a word the failure must contain
    "byte_counter": ('''
        def serve_client(conn):
            while data := conn.recv(4096):       # one recv() is one line: wrong
                for line in data.decode().splitlines():
                    conn.sendall(b"%d\\n" % len(line))   # characters, not bytes
        ''', "13"),
    "adder": ('''
        import socketserver
        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline()      # one line per connection only
                self.wfile.write(b"%d\\n" % sum(int(w) for w in line.split()))
        ''', "the server closed the connection"),
    "shared_hits": ('''
        import socketserver
        HITS = 0
        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                global HITS
                for line in self.rfile:
                    HITS += 1                     # the child's own copy
                    self.wfile.write(b"%d\\n" % HITS)
        ''', "multiprocessing.Value"),
    "hello_page": ('''
        from http.server import BaseHTTPRequestHandler
        from urllib.parse import parse_qs, urlsplit
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                name = parse_qs(urlsplit(self.path).query).get("name", ["stranger"])[0]
                text = f"<p>hello {name}</p>"     # not escaped, length in characters
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text.encode())
        ''', "GET /hello"),
    "sleepy_lines": ('''
        import time
        async def handle(reader, writer):
            while line := await reader.readline():
                time.sleep(int(line) / 1000)      # blocks the event loop
                writer.write(b"slept %d\\n" % int(line))
                await writer.drain()
        ''', "time.sleep"),
}


def _cell(folder: str, notebook: str, grade_id: str) -> str:
    nb = nbformat.read(REPO / folder / notebook / f"{notebook}.ipynb", as_version=4)
    source = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    first, _, body = source.partition("\n")
    assert first.startswith("%%writefile {EXERCISE_DIR}/"), first
    return body


@pytest.mark.parametrize("grade_id", sorted(CASES))
def test_reference_answer_passes(grade_id, tmp_path):
    notebook, kind, checker = CASES[grade_id]
    path = tmp_path / "answer.py"
    path.write_text(_cell("solutions", notebook, grade_id))
    exercises.check(kind, path, checker)


@pytest.mark.parametrize("grade_id", sorted(CASES))
def test_released_stub_is_reported_as_not_written(grade_id, tmp_path):
    notebook, kind, checker = CASES[grade_id]
    path = tmp_path / "stub.py"
    path.write_text(_cell("notebooks", notebook, grade_id))
    assert "raise NotImplementedError()" in path.read_text()
    with pytest.raises(exercises.NotWritten):
        exercises.check(kind, path, checker)


@pytest.mark.parametrize("grade_id", sorted(CASES))
def test_typical_mistake_fails_with_a_message(grade_id, tmp_path):
    notebook, kind, checker = CASES[grade_id]
    source, word = WRONG[grade_id]
    path = tmp_path / "wrong.py"
    path.write_text(textwrap.dedent(source))
    with pytest.raises(AssertionError) as failure:
        exercises.check(kind, path, checker)
    assert word in str(failure.value), str(failure.value)
