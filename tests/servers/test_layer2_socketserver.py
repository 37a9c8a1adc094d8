"""Layer 2 reference servers (socketserver), each pitfall shown happening and fixed.

Servers run as real subprocesses: clock_server (+ clock_client), upper_server,
echo_lifecycle, udp_server, unix_server, threading_server, stoppable_server.
"""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

import pytest
from conftest import wait_until
from layer12_helpers import REPO, listening, python_env

from servers.clock_client import ask_time, pad
from servers.notebook import ServerError, ask, ask_udp, connect, running, start

CTIME = re.compile(r"^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}$")


# -- clock_server: the seed's TCPServer + StreamRequestHandler ---------------------
def test_clock_answers_a_padded_question_like_the_seed():
    with running("clock_server") as server:
        assert CTIME.match(ask_time(server.address))
        out = server.wait_for("to client")
        assert 'read "What is the time?        " from client' in out
        assert "server is listening to" in out


def test_clock_default_port_is_the_seeds_12091():
    from servers import _runtime, clock_server

    parser = _runtime.make_parser("x", default_port=clock_server.PORT)
    assert parser.parse_args([]).port == 12091
    assert parser.parse_args([]).host == "127.0.0.1"


def test_seed_client_command_line_prints_the_time():
    with running("clock_server") as server:
        result = subprocess.run(
            [sys.executable, "-m", "servers.clock_client", "--host", "127.0.0.1",
             "--port", str(server.port)],
            capture_output=True, text=True, timeout=30, env=python_env(), cwd=REPO)
        assert result.returncode == 0, result.stderr
        first, second = result.stdout.splitlines()
        assert first == "client is connected"
        assert CTIME.match(second)


def test_the_25_byte_trap_an_unpadded_question_hangs():
    with running("clock_server") as server:
        with pytest.raises(TimeoutError):
            ask_time(server.address, padded=False, timeout=0.5)
        # the server is still waiting for 8 more bytes; it has not answered
        assert "writing" not in server.output()


def test_the_25_byte_trap_command_line_no_pad_times_out():
    with running("clock_server") as server:
        result = subprocess.run(
            [sys.executable, "-m", "servers.clock_client", "--port", str(server.port),
             "--host", "127.0.0.1", "--no-pad", "--timeout", "0.5"],
            capture_output=True, text=True, timeout=30, env=python_env(), cwd=REPO)
        assert result.returncode == 1
        assert "no answer within 0.5 s (sent 17 bytes, the server reads 25)" in result.stderr


def test_the_25_byte_trap_fix_half_close():
    with running("clock_server") as server:
        answer = ask(server.address, b"What is the time?")  # ask() half-closes after sending
        assert CTIME.match(answer.decode())
        assert 'read "What is the time?" from client' in server.wait_for("to client")


def test_the_25_byte_trap_fix_line_framing():
    with running("clock_server", "--line") as server:
        with connect(server.address) as sock:
            sock.sendall(b"What is the time?\n")
            assert CTIME.match(sock.recv(100).decode())


def test_a_silent_client_blocks_a_single_threaded_server_until_the_handler_timeout():
    with running("clock_server", "--timeout", "0.5") as server:
        with connect(server.address) as silent:
            silent.sendall(b"What")  # and nothing more
            started = time.monotonic()
            # a second, well-behaved client waits for the first one's timeout
            assert CTIME.match(ask_time(server.address, timeout=10))
            assert time.monotonic() - started >= 0.4
        assert "gave up on" in server.wait_for("gave up on")


def test_pad_refuses_a_question_longer_than_25_bytes():
    assert len(pad("What is the time?")) == 25
    with pytest.raises(ValueError):
        pad("What is the time, please, now?")


# -- upper_server: BaseRequestHandler, handle_request() vs serve_forever() -----------
def test_base_request_handler_uses_the_raw_socket():
    with running("upper_server") as server:
        assert ask(server.address, b"hello") == b"HELLO"
        assert ask(server.address, b"again") == b"AGAIN"  # serve_forever: many requests


def test_handle_request_serves_exactly_n_then_the_port_is_closed():
    server = start("upper_server", "--requests", "2")
    try:
        assert ask(server.address, b"one") == b"ONE"
        assert ask(server.address, b"two") == b"TWO"
        assert server.wait(10) == 0
        assert "served 2 requests; exiting" in server.output()
        with pytest.raises(ConnectionRefusedError):
            connect(server.address, timeout=2)
    finally:
        server.stop()


def test_handle_request_timeout_calls_handle_timeout():
    server = start("upper_server", "--requests", "1", "--idle-timeout", "0.2")
    try:
        assert server.wait(10) == 0
        out = server.output()
        assert "handle_timeout(): no request within 0.2 s" in out
        assert "handle_request() #1 returned" in out
    finally:
        server.stop()


# -- echo_lifecycle: the hooks, in order; verify_request refusing -------------------
HOOKS = [
    "EchoServer: verify_request", "EchoServer: process_request", "EchoServer: finish_request",
    "EchoRequestHandler: __init__", "EchoRequestHandler: setup", "EchoRequestHandler: handle",
    "EchoRequestHandler: recv()->b'Hello, world'", "EchoRequestHandler: finish",
    "EchoServer: shutdown_request", "EchoServer: close_request",
]


def test_lifecycle_hooks_are_called_in_order():
    with running("echo_lifecycle") as server:
        assert ask(server.address, b"Hello, world") == b"Hello, world"
        out = server.wait_for("EchoServer: close_request")
    lines = out.splitlines()
    assert lines.index("EchoServer: server_activate") < lines.index(
        f"listening on 127.0.0.1:{server.port}")
    positions = [next(i for i, line in enumerate(lines) if line.startswith(hook)) for hook in HOOKS]
    assert positions == sorted(positions)
    assert "EchoServer: server_close" in server.output()


def test_verify_request_refuses_a_client_by_address():
    with running("echo_lifecycle", "--deny", "127.0.0.2") as server:
        refused = socket.create_connection(server.address, timeout=5,
                                           source_address=("127.0.0.2", 0))
        with refused:
            refused.sendall(b"let me in")
            assert refused.recv(100) == b""  # accepted, then closed without a word
        out = server.wait_for("-> False")
        assert "EchoRequestHandler: handle" not in out
        assert ask(server.address, b"welcome") == b"welcome"  # 127.0.0.1 is allowed


# -- udp_server: UDPServer + DatagramRequestHandler -----------------------------------
def test_udp_clock_answers_each_datagram():
    with running("udp_server") as server:
        assert not listening(server.port)  # UDP: bound, not listening
        for _ in range(3):
            assert CTIME.match(ask_udp(server.address, b"What is the time?").decode())
        assert wait_until(lambda: server.output().count("datagram from") == 3, 5)


def test_udp_short_recv_buffer_truncates_the_datagram():
    with running("udp_server") as server:
        assert len(ask_udp(server.address, b"time?", bufsize=5)) == 5  # the rest is gone


def test_udp_to_nobody_is_silence_not_an_error():
    with running("udp_server") as server:
        address = server.address
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.5)
        sock.sendto(b"anyone?", address)  # no error: UDP does not know
        with pytest.raises(OSError):  # TimeoutError, or ConnectionRefusedError via ICMP
            sock.recvfrom(100)


# -- unix_server: UnixStreamServer and UnixDatagramServer -----------------------------
def test_unix_stream_clock(tmp_path):
    path = str(tmp_path / "clock.sock")
    with running("unix_server", "--path", path, port=None) as server:
        assert server.address == path and server.port is None
        assert os.path.exists(path)
        assert CTIME.match(ask(path, b"What is the time?\n").decode())
    assert not os.path.exists(path)  # a clean stop removes the socket file


def test_unix_default_path_is_a_private_temporary_folder():
    with running("unix_server", port=None) as server:
        folder = os.path.dirname(server.address)
        assert CTIME.match(ask(server.address, b"?\n").decode())
    assert not os.path.exists(folder)


def test_unix_datagram_client_must_bind_its_own_path(tmp_path):
    path = str(tmp_path / "clock.sock")
    with running("unix_server", "--datagram", "--path", path, port=None) as server:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as unbound:
            unbound.settimeout(0.5)
            unbound.sendto(b"time?", path)
            with pytest.raises(TimeoutError):  # the pitfall: nowhere to send the answer
                unbound.recv(100)
        server.wait_for("the client socket is not bound to a path")
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as bound:
            bound.bind(str(tmp_path / "client.sock"))  # the fix
            bound.settimeout(5)
            bound.sendto(b"time?", path)
            assert CTIME.match(bound.recv(100).decode())


def test_unix_stale_socket_file_blocks_a_restart_until_unlinked(tmp_path):
    path = str(tmp_path / "clock.sock")
    killed = start("unix_server", "--path", path, port=None)
    killed.proc.kill()  # SIGKILL: no clean-up, the file stays
    killed.stop()
    assert os.path.exists(path)
    with pytest.raises(ConnectionRefusedError):
        connect(path)  # nothing listens ...
    with pytest.raises(ServerError) as info:
        start("unix_server", "--path", path, port=None)  # ... yet bind() fails
    assert "Address already in use" in info.value.output
    with running("unix_server", "--path", path, "--unlink", port=None) as server:
        assert "removing stale" in server.output()
        assert CTIME.match(ask(path, b"?\n").decode())


# -- threading_server: ThreadingMixIn ----------------------------------------------------
def _concurrent(address, n: int) -> tuple[float, list[bytes]]:
    socks = [connect(address, timeout=10) for _ in range(n)]
    started = time.monotonic()
    for i, sock in enumerate(socks):
        sock.sendall(b"client %d\n" % i)
    answers = []
    for sock in socks:
        with sock:
            answers.append(sock.makefile("rb").readline())
    return time.monotonic() - started, answers


def test_threading_mixin_serves_clients_at_the_same_time():
    with running("threading_server", "--delay", "0.5") as server:
        elapsed, answers = _concurrent(server.address, 4)
    assert elapsed < 1.8  # 4 x 0.5 s of work, overlapping (sequential: >= 2.0)
    names = {a.split(b":")[0] for a in answers}
    assert len(names) == 4 and b"MainThread" not in names


def test_sequential_server_makes_clients_wait_for_each_other():
    with running("threading_server", "--delay", "0.5", "--sequential") as server:
        elapsed, answers = _concurrent(server.address, 4)
    assert elapsed >= 1.9
    assert {a.split(b":")[0] for a in answers} == {b"MainThread"}


def test_mixin_in_the_wrong_order_is_silently_sequential():
    with running("threading_server", "--delay", "0.5", "--wrong-order") as server:
        assert "process_request from BaseServer.process_request" in server.wait_for("process_request")
        elapsed, _ = _concurrent(server.address, 3)
    assert elapsed >= 1.4
    with running("threading_server", "--delay", "0.5") as right:
        assert "from ThreadingMixIn.process_request" in right.wait_for("process_request")


# -- stoppable_server: shutdown() from another thread, server_close(), with -----------
def test_shutdown_from_another_thread_then_server_close():
    server = start("stoppable_server")
    try:
        assert ask(server.address, b"hello\n") == b"ok hello\n"
        assert ask(server.address, b"stop\n") == b"stopping\n"
        assert server.wait(10) == 0
        out = server.output()
        assert out.index("serve_forever() returned") < out.index("server_close() done")
        assert not listening(server.port)
    finally:
        server.stop()


def test_shutdown_from_the_handler_thread_deadlocks():
    with running("stoppable_server", "--deadlock") as server:
        with connect(server.address, timeout=1) as sock:
            sock.sendall(b"stop\n")
            assert sock.recv(100) == b"stopping\n"
            with pytest.raises(TimeoutError):
                sock.recv(100)  # the connection is never closed: the handler is stuck
        assert server.is_running()
        assert "serve_forever() returned" not in server.output()
    # running() stopped it with SIGINT: the stuck wait is interruptible
    assert server.returncode == 0
    assert "stopped by SIGINT" in server.output()
