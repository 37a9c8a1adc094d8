"""Layer 3 reference servers (processes), tested with real processes and sockets.

Each pitfall of solutions/03_processes is shown happening and then fixed:
zombies without reaping and none with it, output lost by os._exit, a forked
child's state that the parent never sees (and the secret-number server it
breaks), max_children, daemon_threads, killing children at shutdown, no
fork-in-a-threaded-process warning, and the parent-death watch of forking
servers (which have no watchdog thread).
"""
from __future__ import annotations

import inspect
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pexpect
from pexpect.popen_spawn import PopenSpawn
import psutil
import pytest
from conftest import wait_until
from layer12_helpers import REPO, gone, listening, python_env

from servers import _layers
from servers.fork_clock_client import ask_times
from servers.notebook import running, start


def ask_line(address, line: str, timeout: float = 10.0) -> str:
    with socket.create_connection(address, timeout=timeout) as sock:
        f = sock.makefile("rwb")
        f.write(line.encode() + b"\n")
        f.flush()
        return f.readline().decode().strip()


def live_children(pid: int) -> list[int]:
    return [p for p, status in _layers.children(pid).items() if status != psutil.STATUS_ZOMBIE]


# -- fork_hello: os.fork() basics ------------------------------------------------
def spawn_hello(*args: str) -> PopenSpawn:
    # PopenSpawn (pipes), not pexpect.spawn: forkpty() in a threaded process warns on 3.12+
    return PopenSpawn([sys.executable, "-m", "servers.fork_hello", *args], cwd=str(REPO),
                      env=python_env(), encoding="utf-8", timeout=10)


def close(session: PopenSpawn) -> int:
    if session.proc.poll() is None:
        session.proc.kill()
    return session.wait()


def test_fork_hello_child_becomes_a_zombie_without_waitpid():
    session = spawn_hello()
    try:
        found = {}
        while len(found) < 2:  # the parent's and the child's lines come in either order
            which = session.expect([r"hello from parent (\d+) (\d+)", r"hello from child (\d+)"])
            found[which] = session.match.groups()
        parent, child = map(int, found[0])
        assert found[1] == (str(child),)
        assert wait_until(lambda: _layers.zombies(parent) == [child], 5), _layers.children(parent)
        session.sendline("q")
        session.expect(pexpect.EOF)
    finally:
        status = close(session)
    assert status == 0


def test_fork_hello_reap_leaves_no_zombie():
    session = spawn_hello("--reap")
    try:
        session.expect(r"hello from parent (\d+) (\d+)")
        parent, child = map(int, session.match.groups())
        session.expect(rf"reaped child {child} exit status 0")
        assert _layers.zombies(parent) == []
        assert not psutil.pid_exists(child) or gone(child) and child not in _layers.children(parent)
        session.sendline("q")
        session.expect(pexpect.EOF)
    finally:
        close(session)


@pytest.mark.parametrize("flag, expected", [("--no-flush", 0), (None, 3)])
def test_fork_hello_os_exit_loses_unflushed_output(flag, expected):
    env = python_env()
    env.pop("PYTHONUNBUFFERED", None)
    argv = [sys.executable, "-m", "servers.fork_hello"] + ([flag] if flag else [])
    out = subprocess.run(argv, input="\n\nq\n", capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=20).stdout
    assert out.count("hello from parent") == 3
    assert out.count("hello from child") == expected, out


# -- fork_clock: the lecture's forking server ---------------------------------------
def test_fork_clock_answers_the_time_from_a_child_per_client():
    with running("fork_clock") as server:
        answers = ask_times(server.address, rounds=2, sleep_min=0.0, sleep_max=0.01)
        ask_times(server.address, rounds=1)
        assert len(answers) == 2 and all(time.strptime(a, "%a %b %d %H:%M:%S %Y") for a in answers)
        assert wait_until(lambda: server.output().count("exiting child process") == 2, 5)
    pids = set(re.findall(r"^appending PID (\d+)$", server.output(), re.MULTILINE))
    assert len(pids) == 2 and str(server.pid) not in pids, server.output()


def test_fork_clock_serves_clients_in_parallel():
    with running("fork_clock", "--delay", "0.5") as server:
        started = time.monotonic()
        threads = [threading.Thread(target=ask_times, args=(server.address, 1)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 1.5, elapsed  # one at a time would take 2 s


@pytest.mark.parametrize("reap", ["none", "sigchld"])
def test_fork_clock_zombies_pile_up_only_without_reaping(reap):
    with running("fork_clock", "--reap", reap) as server:
        for _ in range(3):
            ask_times(server.address, rounds=1)
        assert wait_until(lambda: not live_children(server.pid), 5)
        if reap == "none":
            assert wait_until(lambda: len(_layers.zombies(server.pid)) == 3, 5), _layers.children(server.pid)
        else:
            assert wait_until(lambda: _layers.children(server.pid) == {}, 5), _layers.children(server.pid)
            assert "reaped" in server.output()


def test_fork_clock_poll_reaps_at_the_next_accept():
    with running("fork_clock", "--reap", "poll") as server:
        ask_times(server.address, rounds=1)
        assert wait_until(lambda: len(_layers.zombies(server.pid)) == 1, 5)
        first = _layers.zombies(server.pid)[0]
        time.sleep(0.3)  # not a readiness wait: the zombie must *stay* while nobody connects
        assert _layers.zombies(server.pid) == [first]
        ask_times(server.address, rounds=1)
        assert wait_until(lambda: first not in _layers.children(server.pid), 5)


def test_fork_clock_kills_connected_children_at_shutdown():
    server = start("fork_clock")
    client = socket.create_connection(server.address, timeout=5)
    try:
        client.sendall(b"What is the time?".ljust(25))
        assert len(client.recv(25)) == 25
        children = live_children(server.pid)
        assert len(children) == 1
        assert server.stop() == 0
        assert client.recv(25) == b""  # the child is gone, the connection closed
        assert all(gone(pid) for pid in children)
        assert f"-> killing process {children[0]}" in server.output()
    finally:
        client.close()
        server.stop()


def test_fork_clock_parent_does_not_leak_client_sockets():
    with running("fork_clock") as server:
        ask_times(server.address, rounds=1)
        before = psutil.Process(server.pid).num_fds()
        for _ in range(5):
            ask_times(server.address, rounds=1)
        assert wait_until(lambda: psutil.Process(server.pid).num_fds() <= before, 5)


def test_fork_clock_client_module_runs_bounded_rounds():
    with running("fork_clock") as server:
        out = subprocess.run([sys.executable, "-m", "servers.fork_clock_client", "--port", str(server.port),
                              "--rounds", "3", "--sleep-min", "0.01", "--sleep-max", "0.02"],
                             capture_output=True, text=True, cwd=REPO, env=python_env(), timeout=20)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("client sleeps for") == 2
    assert out.stdout.startswith("client is connected")


# -- ForkingMixIn / ThreadingMixIn --------------------------------------------------
def test_forking_answers_from_other_processes_threading_from_one():
    with running("fork_mixins", "--mode", "forking") as server:
        pids = {ask_line(server.address, "WHO").split()[0] for _ in range(3)}
        assert len(pids) == 3 and f"pid={server.pid}" not in pids
    with running("fork_mixins", "--mode", "threading") as server:
        pids = {ask_line(server.address, "WHO").split()[0] for _ in range(3)}
        assert pids == {f"pid={server.pid}"}


@pytest.mark.parametrize("mode, hits, parent", [("forking", ["hits=1"] * 3, 0),
                                               ("threading", ["hits=1", "hits=2", "hits=3"], 3)])
def test_forked_child_state_is_not_shared(mode, hits, parent):
    with running("fork_mixins", "--mode", mode) as server:
        got = [ask_line(server.address, "HIT").split()[0] for _ in range(3)]
    assert got == hits
    assert f"sees hits={parent}" in server.output()


@pytest.mark.parametrize("mode, verdicts", [
    ("forking", ["wrong", "right", "right", "wrong"]),  # the pitfall: nobody remembers
    ("threading", ["wrong", "right", "secret found", "secret found"]),
    ("forking-shared", ["wrong", "right", "secret found", "secret found"]),
])
def test_secret_number_server_needs_shared_state(mode, verdicts):
    with running("fork_secret", "--mode", mode, "--secret", "7") as server:
        assert [ask_line(server.address, g) for g in ["3", "7", "7", "5"]] == verdicts


def _four_work_requests(address, seconds=0.6) -> float:
    started = time.monotonic()
    threads = [threading.Thread(target=ask_line, args=(address, f"WORK {seconds}")) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    return time.monotonic() - started


def test_max_children_limits_forking_parallelism():
    with running("fork_mixins", "--mode", "forking") as server:
        free = _four_work_requests(server.address)
    with running("fork_mixins", "--mode", "forking", "--max-children", "2") as server:
        limited = _four_work_requests(server.address)
    assert free < 1.15 <= limited, (free, limited)  # ideal: 0.6 s and 1.2 s


@pytest.mark.parametrize("options, answered", [((), True), (("--daemon-threads",), False)])
def test_daemon_threads_drop_requests_at_shutdown(options, answered):
    server = start("fork_mixins", "--mode", "threading", *options)
    sock = socket.create_connection(server.address, timeout=10)
    try:
        sock.sendall(b"WORK 0.6\n")
        sock.shutdown(socket.SHUT_WR)  # block_on_close waits for the connection's handler to end
        server.wait_for("working", timeout=5)
        ask_line(server.address, "WHO")  # the main loop is past Thread.start() (see the notebook)
        assert server.stop() == 0
        reply = sock.recv(100)
    finally:
        sock.close()
        server.stop()
    assert reply.startswith(b"done") == answered, reply


# -- forking servers and threads ----------------------------------------------------
FORKING = [("fork_clock",), ("fork_mixins", "--mode", "forking"), ("fork_secret", "--mode", "forking"),
           ("concurrency_work", "--model", "forking")]


@pytest.mark.parametrize("argv", FORKING, ids=lambda a: a[0])
def test_forking_servers_fork_without_threads_and_without_warnings(argv, monkeypatch):
    monkeypatch.setenv("PYTHONWARNINGS", "default::DeprecationWarning")
    with running(*argv) as server:
        assert psutil.Process(server.pid).num_threads() == 1  # nothing to break in a fork
        with socket.create_connection(server.address, timeout=5) as sock:
            sock.sendall(b"What is the time?".ljust(25) if argv[0] == "fork_clock" else b"7\n")
            assert sock.recv(100)
    assert "Warning" not in server.output(), server.output()


@pytest.mark.parametrize("name", ["fork_clock", "fork_mixins"])
def test_forking_server_stops_when_its_parent_dies(name):
    code = ("import subprocess, sys, time\n"
            f"p = subprocess.Popen([sys.executable, '-m', 'servers.{name}', '--port', '0'])\n"
            "print(p.pid, flush=True)\n"
            "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              cwd=REPO, env=python_env())
    try:
        server_pid = int(parent.stdout.readline())
        assert wait_until(lambda: _layers.listening_ports(server_pid), 10)
        port = next(iter(_layers.listening_ports(server_pid)))
        parent.send_signal(signal.SIGKILL)
        parent.wait(5)
        assert wait_until(lambda: gone(server_pid) and not listening(port), 5)
    finally:
        if parent.poll() is None:
            parent.kill()
        parent.wait()
        parent.stdout.close()


def test_fork_clock_help_and_docstring_cite_the_seed():
    from servers import fork_clock, fork_hello, fork_mixins, fork_secret

    for module in (fork_clock, fork_hello, fork_mixins, fork_secret):
        assert "seed" in module.__doc__.lower() and "What to watch for" in module.__doc__
    out = subprocess.run([sys.executable, "-m", "servers.fork_clock", "--help"], capture_output=True,
                         text=True, cwd=REPO, env=python_env(), timeout=20).stdout
    assert "--reap" in out and "--host" in out
    assert os.environ.get("SERVERS_WATCHDOG") != "0"  # run_forking changes only the server's env


def _read_to_eof_after_one_answer(address, wait: float) -> bytes | str:
    """One question, half-close, the answer, then read to end-of-file (``wait`` seconds)."""
    with socket.create_connection(address, timeout=5) as client:
        client.sendall(b"What is the time?".ljust(25))
        client.shutdown(socket.SHUT_WR)
        answer = b""
        while len(answer) < 25:
            answer += client.recv(25 - len(answer))
        client.settimeout(wait)
        try:
            return client.recv(100)
        except TimeoutError:
            return "timeout"


def test_fork_clock_parent_keeping_the_client_socket_means_no_fin():
    with running("fork_clock", "--keep-client") as server:
        assert _read_to_eof_after_one_answer(server.address, wait=1.0) == "timeout"
        assert "exiting child process" in server.wait_for("exiting child process")
    with running("fork_clock") as server:
        assert _read_to_eof_after_one_answer(server.address, wait=10.0) == b""


def test_fork_clock_sigchld_handler_only_records_and_the_loop_reaps():
    from servers import fork_clock

    source = inspect.getsource(fork_clock.serve)
    assert "set_wakeup_fd" in source
    handler = source[source.index("signal.signal(signal.SIGCHLD, "):].splitlines()[0]
    assert "lambda signum, frame: None" in handler, handler  # no reaping, no output in the handler
    with running("fork_clock", "--reap", "sigchld") as server:
        for _ in range(3):
            ask_times(server.address, rounds=1)
        assert wait_until(lambda: _layers.children(server.pid) == {}, 5), _layers.children(server.pid)
        assert "reaped" in server.output()


def _all_at_once(address, lines: list[str]) -> list[str]:
    """One connection per line, every request sent before any answer is read."""
    socks = [socket.create_connection(address, timeout=10) for _ in lines]
    try:
        for sock, line in zip(socks, lines):
            sock.sendall(line.encode() + b"\n")
        return [sock.makefile("rb").readline().decode().strip() for sock in socks]
    finally:
        for sock in socks:
            sock.close()


@pytest.mark.parametrize("lock", [True, False])
def test_fork_mixins_hits_without_the_lock_lose_updates(lock):
    options = [] if lock else ["--no-lock"]
    with running("fork_mixins", "--mode", "threading", "--window", "0.3", *options) as server:
        replies = _all_at_once(server.address, ["HIT"] * 4)
        final = ask_line(server.address, "HIT")
    counts = sorted(int(r.split()[0].split("=")[1]) for r in replies)
    if lock:
        assert counts == [1, 2, 3, 4] and final.startswith("hits=5"), (replies, final)
    else:  # clients inside one 0.3 s window read the same count: updates are lost
        assert len(set(counts)) < 4 and int(final.split()[0].split("=")[1]) < 5, (replies, final)


@pytest.mark.parametrize("lock", [True, False])
def test_fork_secret_check_then_act_race_lets_two_clients_win(lock):
    options = [] if lock else ["--no-lock"]
    with running("fork_secret", "--mode", "threading", "--secret", "7", "--window", "0.3",
                 *options) as server:
        replies = _all_at_once(server.address, ["7", "7"])
    assert sorted(replies) == (["right", "secret found"] if lock else ["right", "right"]), replies
