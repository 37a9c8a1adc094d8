"""Client.receive_line (used by the secret_number checks) and the checks' own machinery, with real servers."""
from __future__ import annotations

import random
import re
import textwrap
import time
from pathlib import Path

import nbformat

from graders.assignments import secret_number
from graders.checking import sites
from graders.checking.checks import Run
from graders.checking.harness import Server, Transcript

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


# -- the secret_number checks' own machinery (graders/assignments/secret_number.py) --------------

PROBE_SERVER = '''
    import random, socket, sys
    server = socket.create_server(("127.0.0.1", 12093))
    conn, _ = server.accept()
    conn.sendall(f"{random.randint(1, 100)}\\n".encode())
    conn.sendall(b"right\\n")
    conn.sendall(b"done\\n")
    conn.recv(1)
'''


def test_every_spec_point_has_a_check_and_every_check_a_point():
    assignment = secret_number.ASSIGNMENT
    assert sorted(assignment.spec) == list(range(1, 8))
    for point in assignment.spec:
        assert any(point in c.spec for c in assignment.checks.values()), f"no check declares point {point}"
    assert all(c.spec for c in assignment.checks.values())
    notebook = Path(__file__).resolve().parent.parent / "solutions" / "secret_number" / "secret_number.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    spec_cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "spec")
    numbered = [int(n) for n in re.findall(r"^(\d+)\. ", spec_cell.source, re.M)]
    assert numbered == sorted(assignment.spec)
    graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
              if c.metadata.get("nbgrader", {}).get("grade", False)}
    # explore (issue 21) is graded in the cell of line_framing, beside it
    assert graded == {f"test_{name}" for name in assignment.checks if name != "explore"}
    assert 'check("secret_number", "explore")' in next(
        c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_line_framing")


def test_servers_start_with_seeded_random_and_a_held_right(tmp_path):
    """start(): the sitecustomize seeds random (a known first draw) and, with hold_right, delays 'right'."""
    path = tmp_path / "probe.py"
    path.write_text(textwrap.dedent(PROBE_SERVER))
    run = Run(secret_number.ASSIGNMENT, Path(path))
    try:
        server = secret_number.start(run, None, seed=139, hold_right=0.2)
        began = time.monotonic()  # before the server can accept, so before its sleep starts
        client = server.client("A")
        assert client.receive_line() == f"{random.Random(139).randint(1, 100)}\n".encode()
        assert client.receive_line() == b"right\n"
        assert client.receive_line() == b"done\n"
        assert time.monotonic() - began >= 0.2  # a lower bound: the server slept before sending 'right'
    finally:
        run.close()


EXTREME_PROBE = '''
    import random, secrets, socket
    from random import randint
    server = socket.create_server(("127.0.0.1", 12093))
    conn, _ = server.accept()
    draws = [randint(1, 100), random.randrange(1, 101), random.choice(range(1, 101)), int(random.random() * 100) + 1,
             secrets.randbelow(100) + 1, secrets.choice(range(1, 101)), random.SystemRandom().randint(1, 100)]
    mine = random.Random().random()  # a generator of the server's own is not forced
    sndbuf = conn.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    conn.sendall(f"{draws} {0.0 < mine < 1.0} {sndbuf}\\n".encode())
    conn.recv(1)
'''


def test_servers_start_with_extreme_draws_and_small_buffers(tmp_path):
    """start(extreme=...): every draw of random and secrets at its lowest or highest; small_buffers: SO_SNDBUF."""
    path = tmp_path / "probe.py"
    path.write_text(textwrap.dedent(EXTREME_PROBE))
    seen = {}
    for mode, small in (("lowest", True), ("highest", False)):
        run = Run(secret_number.ASSIGNMENT, Path(path))
        try:
            server = secret_number.start(run, None, extreme=mode, small_buffers=small)
            draws, own_random, sndbuf = server.client("A").receive_line().decode().rsplit(" ", 2)
            seen[mode] = draws
            assert own_random == "True"
            assert (int(sndbuf) <= 2 * sites.SMALL_SEND_BUFFER) == small
        finally:
            run.close()
    assert seen == {"lowest": str([1] * 7), "highest": str([100] * 7)}
