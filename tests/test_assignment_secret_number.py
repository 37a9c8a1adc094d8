"""Client.receive_line (used by the secret_number checks), with a real server."""
from __future__ import annotations

import textwrap

from graders.harness import Server, Transcript

LINES_SERVER = '''
    import socket, time
    server = socket.create_server(("127.0.0.1", 12093))
    while True:
        conn, _ = server.accept()
        conn.sendall(b"one\\ntwo\\nthr")
        time.sleep(0.2)
        conn.sendall(b"ee\\nfour")
        conn.close()
'''


def test_receive_line_returns_one_line_at_a_time(tmp_path):
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(LINES_SERVER))
    with Server(path, Transcript()) as server:
        server.start(port=12093)
        client = server.client("A")
        assert client.receive_line() == b"one\n"
        assert client.receive_line() == b"two\n"
        assert client.receive_line() == b"three\n"  # arrives in two pieces
        assert not client.peer_closed
        assert client.receive_line() == b"four" and client.peer_closed
        assert client.received == b"one\ntwo\nthree\nfour"


def test_receive_line_stops_at_the_limit_and_on_timeout(tmp_path):
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(LINES_SERVER))
    with Server(path, Transcript()) as server:
        server.start(port=12093)
        client = server.client("A")
        assert client.receive_line(limit=2) == b"on"
        assert client.receive_line() == b"e\n"
        client.receive_line()
        assert client.receive_line(timeout=0.05) == b"thr"  # the rest comes 0.2 s later
        assert not client.peer_closed
        log = "\n".join(server.transcript.render())
    assert "no end of '\\n' came" in log
