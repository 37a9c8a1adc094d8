"""The harness's patient reads: a busy server gets more time, an idle one does not (graders.sandbox.watch)."""
from __future__ import annotations

import textwrap
import time

import pytest

from graders import sandbox
from graders.sandbox import watch
from graders.checking.harness import Server, Transcript

needs_proc = pytest.mark.skipif(sandbox.isolation_mode() != "namespaces",
                                reason="busy/idle is seen through the sandbox's cgroup and /proc")

# Answers each connection's first byte after `pause` seconds, spinning (busy) or sleeping (idle).
LATE_SERVER = '''
    import socket, sys, time
    how = open("how").read()
    server = socket.create_server(("127.0.0.1", 8000))
    while True:
        conn, _ = server.accept()
        conn.recv(1)
        end = time.monotonic() + 2.0
        if how == "spin":
            while time.monotonic() < end:
                pass
        else:
            time.sleep(2.0)
        conn.sendall(b"late")
        conn.close()
'''


def late_server(tmp_path, how: str) -> Server:
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(LATE_SERVER), encoding="utf-8")
    (tmp_path / "how").write_text(how)
    server = Server(path, Transcript())
    (server.workdir / "how").write_text(how)
    return server


@needs_proc
def test_a_patient_read_waits_while_the_server_is_busy(tmp_path):
    """A server still computing when the timeout passes (a loaded machine) is given the time to answer."""
    with late_server(tmp_path, "spin") as server:
        server.start(port=8000)
        client = server.client("A").send(b"?")
        began = time.monotonic()
        assert client.receive(4, timeout=0.5) == b"late"
        assert 1.5 < time.monotonic() - began < 0.5 + 30
        impatient = server.client("B").send(b"?")
        assert impatient.receive(4, timeout=0.5, patient=False) == b""


@needs_proc
def test_a_patient_read_does_not_wait_for_a_sleeping_server(tmp_path):
    """A server whose threads all sleep could only answer on a timer: the timeout stands."""
    with late_server(tmp_path, "sleep") as server:
        server.start(port=8000)
        client = server.client("A").send(b"?")
        wait = time.monotonic()
        assert watch.wait_idle(server, [client], timeout=10)
        assert not watch.busy(server)
        began = time.monotonic()
        assert client.receive(4, timeout=0.5) == b""
        assert time.monotonic() - began < 1.5, time.monotonic() - wait


# Reads one byte per connection, then waits for nothing that will come (a hang: a lock never released).
STUCK_SERVER = '''
    import socket, threading
    server = socket.create_server(("127.0.0.1", 8000))
    never = threading.Event()
    while True:
        conn, _ = server.accept()
        conn.recv(1)
        never.wait()
'''


@needs_proc
def test_a_stuck_server_fails_a_patient_read_in_about_a_second(tmp_path):
    """Asleep (not on a timer), everything read, nothing sent: the read gives up after IDLE_GRACE, not 10 s."""
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(STUCK_SERVER), encoding="utf-8")
    with Server(path, Transcript()) as server:
        server.start(port=8000)
        client = server.client("A").send(b"?")
        began = time.monotonic()
        assert client.receive(4, timeout=10) == b""
        took = time.monotonic() - began
        assert watch.IDLE_GRACE <= took < watch.IDLE_GRACE + 3, took
        assert "the server is idle" in server.transcript.render()[-1]


@needs_proc
def test_a_server_on_a_timer_is_not_taken_for_stuck(tmp_path):
    """A server that answers after time.sleep(2) sleeps on a timer: it gets its whole timeout, and answers."""
    with late_server(tmp_path, "sleep") as server:
        server.start(port=8000)
        client = server.client("A").send(b"?")
        assert client.receive(4, timeout=5) == b"late"


# Floods stdout from a thread while the main thread waits for clients (tests/hostile/servers/floods_output.py).
FLOODING_SERVER = '''
    import os, socket, threading
    def flood():
        while True:
            os.write(1, b"flood " * 4096)
    threading.Thread(target=flood, daemon=True).start()
    server = socket.create_server(("127.0.0.1", 8000))
    while True:
        conn, _ = server.accept()
        conn.sendall(conn.recv(1))
        conn.close()
'''


@needs_proc
def test_a_server_that_floods_its_output_is_idle_once_its_output_is_read_slowly(tmp_path):
    """Past OUTPUT_LIMIT the grader reads a server's output slowly: a thread that prints without pause
    then waits in write() for the grader, and the server counts as idle when the rest of it sleeps
    (before, such a server was never idle: every step of a check waited its whole patience)."""
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(FLOODING_SERVER), encoding="utf-8")
    with Server(path, Transcript()) as server:
        server.start(port=8000)
        deadline = time.monotonic() + 30
        while not server.sandbox.output_throttled:
            assert time.monotonic() < deadline, "the server printed less than OUTPUT_LIMIT in 30 s"
            time.sleep(0.05)  # polling a counter the drain thread updates: no event for it
        client = server.client("A").send(b"?")
        assert client.receive(1, timeout=5) == b"?"
        assert watch.wait_idle(server, [client], timeout=10)
        assert not watch.busy(server)
        assert "more bytes of output not kept" in server.output()
