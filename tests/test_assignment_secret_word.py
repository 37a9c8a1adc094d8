"""graders/checking/http.py (the strict HTTP client of the secret_word checks), with real servers."""
from __future__ import annotations

import textwrap

import pytest

from graders.checking.checks import Failure
from graders.checking.harness import Server, Transcript
from graders.checking.http import http_get, media_type, parse_response


def start(tmp_path, source: str) -> Server:
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return Server(path, Transcript())


PAGE_SERVER = '''
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.parse import unquote

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            page = f"<p>{unquote(self.path[1:])} é</p>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    HTTPServer(("127.0.0.1", 8000), Handler).serve_forever()
'''


def test_http_get_reads_status_headers_and_body(tmp_path):
    with start(tmp_path, PAGE_SERVER) as server:
        server.start(port=8000)
        response = http_get(server, "A", "/caf%C3%A9")
        log = "\n".join(server.transcript.render())
    assert response.status == 200 and response.reason == "OK" and response.http_version == "1.0"
    assert media_type(response.header("Content-Type")) == ("text/html", {"charset": "utf-8"})
    assert response.body == "<p>café é</p>".encode()
    assert response.content_length == len(response.body) and response.closed
    assert "GET /caf%C3%A9 HTTP/1.1" in log and "reads HTTP/1.0 200 OK" in log


def test_http_get_reports_a_reply_that_is_not_http(tmp_path):
    seed_else_branch = '''
        import socket
        server = socket.create_server(("127.0.0.1", 8000))
        while True:
            conn, _ = server.accept()
            conn.recv(65536)
            conn.sendall(b"/apple not found")
            conn.close()
    '''
    with start(tmp_path, seed_else_branch) as server:
        server.start(port=8000)
        with pytest.raises(Failure, match="not a valid HTTP response"):
            http_get(server, "A", "/apple")


def test_http_get_reports_a_server_that_hangs_up(tmp_path):
    hangs_up = '''
        import socket
        server = socket.create_server(("127.0.0.1", 8000))
        while True:
            conn, _ = server.accept()
            conn.recv(65536)
            conn.close()
    '''
    with start(tmp_path, hangs_up) as server:
        server.start(port=8000)
        with pytest.raises(Failure, match="closed the connection"):
            http_get(server, "A", "/apple")


def test_body_is_not_cut_to_a_wrong_content_length():
    raw = b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Type: text/html\r\n\r\ncaf\xc3\xa9"
    response = parse_response(raw)
    assert response.content_length == 3 and response.body == "café".encode()
    assert response.header("CONTENT-TYPE") == "text/html" and response.header("X-None") is None


def test_parse_response_accepts_bare_newlines_and_rejects_a_missing_head_end():
    assert parse_response(b"HTTP/1.0 404 Not Found\nContent-Length: 0\n\n").status == 404
    with pytest.raises(Failure, match="ended before its header lines"):
        parse_response(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n")


@pytest.mark.parametrize("value, expected", [
    ("text/html; charset=utf-8", ("text/html", {"charset": "utf-8"})),
    ('TEXT/HTML;Charset="UTF-8"', ("text/html", {"charset": "UTF-8"})),
    ("text/html", ("text/html", {})),
    (None, ("", {})),
])
def test_media_type(value, expected):
    assert media_type(value) == expected


def test_http_get_does_not_wait_for_a_server_that_keeps_the_connection(tmp_path):
    keeps_open = '''
        import socket, threading, time
        def serve(conn):
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello")
            time.sleep(60)
        server = socket.create_server(("127.0.0.1", 8000))
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
    '''
    import time
    with start(tmp_path, keeps_open) as server:
        server.start(port=8000)
        began = time.monotonic()
        response = http_get(server, "A", "/apple")
        took = time.monotonic() - began
    assert response.body == b"hello" and not response.closed
    assert took < 3, took


def test_http_get_sees_bytes_beyond_the_content_length(tmp_path):
    too_long = '''
        import socket
        server = socket.create_server(("127.0.0.1", 8000))
        while True:
            conn, _ = server.accept()
            conn.recv(65536)
            conn.sendall("HTTP/1.0 200 OK\\r\\nContent-Length: 4\\r\\n\\r\\ncafé".encode())
            conn.close()
    '''
    with start(tmp_path, too_long) as server:
        server.start(port=8000)
        response = http_get(server, "A", "/apple")
    assert response.content_length == 4 and response.body == "café".encode() and response.closed


def test_unread_by_server_sees_what_the_server_has_not_read(tmp_path):
    """Client.unread_by_server (split_request's event): the server's receive queue, before and after it reads."""
    reads_on_cue = '''
        import socket
        server = socket.create_server(("127.0.0.1", 8000))
        conn, _ = server.accept()
        conn.recv(1)                 # the cue: one byte
        conn.sendall(b"ready")
        while conn.recv(65536):      # then reads everything
            pass
    '''
    import time
    with start(tmp_path, reads_on_cue) as server:
        server.start(port=8000)
        client = server.client("A")
        client.send(b"x")
        assert client.receive(5) == b"ready"
        client.send(b"GET /ban")
        deadline = time.monotonic() + 10
        seen = [client.unread_by_server()]
        while seen[-1] != 0 and time.monotonic() < deadline:  # the server reads it soon
            client.receive(1, timeout=0.02)
            seen.append(client.unread_by_server())
    assert seen[-1] == 0 and set(seen) <= {0, 8}, seen


def test_unread_by_server_counts_bytes_nobody_reads(tmp_path):
    never_reads = '''
        import socket, time
        server = socket.create_server(("127.0.0.1", 8000))
        conn, _ = server.accept()
        time.sleep(60)
    '''
    with start(tmp_path, never_reads) as server:
        server.start(port=8000)
        client = server.client("A")
        client.send(b"GET /ban")
        assert client.unread_by_server() == 8
