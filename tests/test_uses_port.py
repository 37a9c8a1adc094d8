"""The checks of the spec's address (``uses_port``) blame the address only when it is wrong.

A server seen listening at 127.0.0.1 (or every interface) on the spec's port has the right
address, even when a client then cannot connect: the server stopped (a memory limit's kill,
a crash) or accepts no connection.  Those are judged by the checks of what it does, with
their own rationale; ``uses_port`` must not tell the student to bind another address.
(Found in CI: the memory bomb of tests/hostile, killed while the probe connected, was told
"your server listens on 127.0.0.1 only".)
"""
from __future__ import annotations

import textwrap

import pytest

from graders import assignments
from graders.checking.checks import Failure, run_checks
from graders.checking.harness import Server, Transcript

# Listens at the right address, fills its own accept queue at once (so a later connection's
# SYN is dropped and the connection waits), never accepts, and exits after a second.
FULL_QUEUE = '''
    import os, socket, time
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", {port}))
    server.listen(0)
    mine = socket.create_connection(("127.0.0.1", {port}))
    time.sleep(1.0)
    os._exit(3)
'''

PORTS = {"clock": 12091, "swap": 12092, "secret_number": 12093}


@pytest.mark.parametrize("name", list(PORTS))
def test_a_server_at_the_right_address_that_cannot_be_reached_is_not_told_to_bind_another(name, tmp_path):
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(FULL_QUEUE.format(port=PORTS[name])), encoding="utf-8")
    report = run_checks(assignments.get(name), path, only=["uses_port"])
    result = report.result("uses_port")
    assert result.status == "pass", report.render(transcripts="all")
    if any("could not connect" in line or "failed (" in line for line in result.transcript):
        # the probe lost the race with the server's own connection (the usual case): the grader says why
        # the address passes all the same
        assert any("listens at 127.0.0.1 port" in line for line in result.transcript), result.transcript


LISTENS_ONCE = '''
    import os, socket
    server = socket.socket(socket.AF_INET6 if ":" in "{host}" else socket.AF_INET)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("{host}", 12091))
    server.listen()
    server.accept()
    os._exit(3)
'''


@pytest.mark.parametrize("host, blamed", [("127.0.0.1", False), ("0.0.0.0", False), ("::1", True)])
def test_the_address_is_judged_by_where_the_server_listened(host, blamed, tmp_path):
    """Server.address_not_to_blame, on a server that has exited after its first connection."""
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(LISTENS_ONCE.format(host=host)), encoding="utf-8")
    with Server(path, Transcript()) as server:
        server.start(port=12091)
        server.client("A")
        assert server.sandbox.wait_exit(10.0) == 3
        if blamed:
            with pytest.raises(Failure, match=r"stopped \(exit status 3\) while A connected"):
                server.address_not_to_blame(12091, "while A connected")
        else:
            assert server.address_not_to_blame(12091, "while A connected")
            assert "stopped (exit status 3) while A connected" in server.transcript.render()[-1]


def test_a_server_on_ipv6_loopback_only_is_told_its_address(tmp_path):
    """The other side: a server at ::1 only is unreachable at 127.0.0.1, and told so."""
    source = '''
        import socket
        server = socket.socket(socket.AF_INET6)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("::1", 12091))
        server.listen()
        while True:
            conn, _ = server.accept()
            conn.close()
    '''
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    report = run_checks(assignments.get("clock"), path, only=["uses_port"])
    result = report.result("uses_port")
    assert result.status == "fail", report.render(transcripts="all")
    assert "::1" in result.rationale
