"""Layer 5 reference servers (selectors, asyncio) and the concurrency benchmark.

Real sockets against real subprocesses; the benchmark runs as the command a
reader would type (``python benchmarks/concurrency.py``), on small bounded
grids, and its numbers must show the concurrency models apart.
"""
from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest
from layer12_helpers import REPO, python_env

from servers import _layers
from servers.notebook import running, start


def lines_client(address, timeout=5.0):
    sock = socket.create_connection(address, timeout=timeout)
    return sock, sock.makefile("rwb")


@pytest.mark.parametrize("name", ["select_echo", "async_echo"])
def test_one_thread_serves_interleaved_clients(name):
    with running(name) as server:
        clients = [lines_client(server.address) for _ in range(5)]
        try:
            for round_ in range(3):
                for i, (_, f) in enumerate(clients):
                    f.write(f"client {i} round {round_}\n".encode())
                    f.flush()
                assert [f.readline() for _, f in clients] == [
                    f"client {i} round {round_}\n".encode() for i in range(5)]
            _, f = clients[0]
            f.write(b"TIME\n")
            f.flush()
            assert time.strptime(f.readline().decode().strip(), "%a %b %d %H:%M:%S %Y")
            assert psutil.Process(server.pid).num_threads() <= 2  # the loop (+ the runtime's watchdog)
        finally:
            for sock, f in clients:
                f.close()
                sock.close()


@pytest.mark.parametrize("name", ["select_echo", "async_echo"])
def test_lines_split_across_packets_are_reassembled(name):
    with running(name) as server:
        with socket.create_connection(server.address, timeout=5) as sock:
            for piece in (b"hel", b"lo wo", b"rld\nsecond", b" line\n"):
                sock.sendall(piece)
            f = sock.makefile("rb")
            assert f.readline() == b"hello world\n" and f.readline() == b"second line\n"


async def _five_clients(address) -> float:
    async def one(i):
        reader, writer = await asyncio.open_connection(*address)
        writer.write(f"client {i}\n".encode())
        await writer.drain()
        answer = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        await writer.wait_closed()
        return answer

    started = time.monotonic()
    answers = await asyncio.gather(*(one(i) for i in range(5)))
    assert answers == [f"client {i}\n".encode() for i in range(5)]
    return time.monotonic() - started


def test_asyncio_await_overlaps_but_a_blocking_call_serialises():
    with running("async_echo", "--delay", "0.3") as server:
        overlapped = asyncio.run(_five_clients(server.address))
    with running("async_echo", "--blocking-delay", "0.3") as server:
        serialised = asyncio.run(_five_clients(server.address))
    assert overlapped < 0.9 and serialised >= 1.4, (overlapped, serialised)


@pytest.mark.parametrize("model", ["iterative", "threading", "forking", "asyncio", "asyncio-blocking"])
def test_concurrency_work_models_echo(model):
    with running("concurrency_work", "--model", model, "--work", "0.001") as server:
        sock, f = lines_client(server.address)
        try:
            for i in range(3):
                f.write(f"request {i}\n".encode())
                f.flush()
                assert f.readline() == f"request {i}\n".encode()
        finally:
            f.close()
            sock.close()


def test_iterative_server_makes_the_second_client_wait():
    with running("concurrency_work", "--model", "iterative", "--work", "0.001") as server:
        first, f1 = lines_client(server.address)
        second, f2 = lines_client(server.address, timeout=0.5)
        try:
            f1.write(b"a\n")
            f1.flush()
            assert f1.readline() == b"a\n"
            f2.write(b"b\n")
            f2.flush()
            with pytest.raises(TimeoutError):  # served only after the first client leaves
                f2.readline()
        finally:
            f1.close()
            first.close()
            f2.close()
            second.close()


def test_benchmark_script_measures_and_separates_the_models(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "benchmarks/concurrency.py", "--quick", "--rounds", "5", "--work", "0.02", "--clients", "1,8",
                           "--json", str(out)], capture_output=True, text=True, cwd=REPO,
                          env=python_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "speed-up versus iterative" in done.stdout
    data = json.loads(out.read_text())
    sec = data["seconds"]
    assert data["models"] == ["iterative", "threading", "forking", "asyncio"]
    ideal = data["rounds"] * data["work"]
    assert sec["iterative"]["8"] >= 8 * ideal * 0.95  # one client at a time
    # Margins for a loaded machine: one at a time takes at least 8 x 100 ms, overlapped ~100 ms.
    for model in ("threading", "asyncio"):
        assert sec[model]["8"] < sec["iterative"]["8"] * 0.6, (model, sec)
    assert sec["forking"]["8"] < sec["iterative"]["8"] * 0.8, sec  # a fork per connection costs


def test_benchmark_blocking_asyncio_is_no_better_than_iterative(tmp_path):
    sys.path.insert(0, str(REPO))
    from benchmarks import concurrency

    data = concurrency.measure(models=("iterative", "asyncio-blocking", "asyncio"), clients=(6,),
                               rounds=2, work=0.02)
    sec = {m: data["seconds"][m]["6"] for m in data["models"]}
    assert sec["asyncio-blocking"] > sec["iterative"] * 0.7
    assert sec["asyncio"] < sec["asyncio-blocking"] / 2
    table = concurrency.table(data)
    assert "asyncio-blocking" in table and "x" in table.splitlines()[-1]


def test_benchmark_rejects_unbounded_client_counts():
    done = subprocess.run([sys.executable, "benchmarks/concurrency.py", "--clients", "1,1000"],
                          capture_output=True, text=True, cwd=REPO, env=python_env(), timeout=60)
    assert done.returncode == 2 and "between 1 and 64" in done.stderr


def test_run_clients_reports_failures():
    sys.path.insert(0, str(REPO))
    from benchmarks import concurrency

    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts, never answers, then closes
        address = listener.getsockname()

        def close_all():
            for _ in range(2):
                conn, _ = listener.accept()
                conn.close()

        closer = threading.Thread(target=close_all)
        closer.start()
        with pytest.raises(RuntimeError, match="client"):
            concurrency.run_clients(address, 2, 1)
        closer.join(10)


LAYER_3_5_SERVERS = [
    ("fork_clock",), ("fork_mixins", "--mode", "forking"), ("fork_mixins", "--mode", "threading"),
    ("fork_secret", "--mode", "forking-shared"), ("http_ourwebserver",), ("http_hello",), ("http_files",),
    ("http_forms",), ("http_wsgi",), ("http_slices",), ("select_echo",), ("async_echo",),
    *[("concurrency_work", "--model", m) for m in ("iterative", "threading", "forking", "asyncio")],
]


@pytest.mark.parametrize("argv", LAYER_3_5_SERVERS, ids=lambda a: "-".join(a))
def test_every_layer_3_5_server_starts_and_stops_cleanly_with_warnings_as_errors(argv, monkeypatch):
    monkeypatch.setenv("PYTHONWARNINGS", "error::DeprecationWarning")
    server = start(*argv)
    try:
        assert server.host == "127.0.0.1" and server.port > 0
        # No connection here: a Ctrl-C while a threading server is still in Thread.start()
        # for a new client drops that client (socketserver; see solutions/03_processes).
        assert _layers.listening_ports(server.pid) == {server.port}
    finally:
        code = server.stop()
    assert code == 0, server.output()
    assert "Traceback" not in server.output() and "Warning" not in server.output(), server.output()


@pytest.mark.parametrize("name", sorted({a[0] for a in LAYER_3_5_SERVERS} | {"http_cgi"}))
def test_every_layer_3_5_server_documents_itself(name):
    done = subprocess.run([sys.executable, "-m", f"servers.{name}", "--help"], capture_output=True,
                          text=True, cwd=REPO, env=python_env(), timeout=30)
    assert done.returncode == 0 and "--port" in done.stdout and "--host" in done.stdout
    module = __import__(f"servers.{name}", fromlist=["__doc__"])
    assert "What to watch for" in module.__doc__ and "Sources:" in module.__doc__


def _connects_within(address, count: int, timeout: float) -> int:
    """Start ``count`` connects at once; how many complete within ``timeout`` seconds."""
    done: list[socket.socket] = []
    lock = threading.Lock()

    def one():
        try:
            sock = socket.create_connection(address, timeout=timeout)
        except OSError:
            return
        with lock:
            done.append(sock)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout + 5)
    for sock in done:
        sock.close()
    return len(done)


@pytest.mark.parametrize("backlog", [2, 128])
def test_backlog_switch_sets_the_listen_queue(backlog):
    # An iterative server busy with one client accepts nobody else: every later client
    # waits in the kernel's accept queue, which holds backlog + 1 connections on Linux.
    # Beyond it, SYNs are dropped and connect() waits for a retransmit (1 s).
    with running("concurrency_work", "--model", "iterative", "--backlog", str(backlog)) as server:
        busy, f = lines_client(server.address)
        try:
            f.write(b"hold on\n")
            f.flush()
            assert f.readline() == b"hold on\n"  # the server is inside handle() for this client
            # 0.8 s: time enough for a queued connect, too short for the 1 s SYN retransmit
            queued = _connects_within(server.address, 10, timeout=0.8)
        finally:
            f.close()
            busy.close()
    if backlog == 2:
        assert queued <= 4, queued
    else:
        assert queued == 10, queued


@pytest.mark.parametrize("model", ["threading", "asyncio"])
def test_cpu_bound_work_does_not_overlap_in_one_process(model):
    if not getattr(sys, "_is_gil_enabled", lambda: True)():
        pytest.skip("a free-threaded interpreter: threads may compute in parallel")
    sys.path.insert(0, str(REPO))
    from benchmarks import concurrency

    data = concurrency.measure(models=(model,), clients=(4,), rounds=1, work=0.1, cpu=True)
    # 4 requests of 0.1 s of CPU each, one thread holding the GIL at a time: at least 0.4 s,
    # however many cores there are (a sleep of 0.1 s would overlap to about 0.1 s).
    assert data["seconds"][model]["4"] >= 0.4 * 0.95, data["seconds"]
    assert data["cores_used"][model]["4"] <= 1.1, data["cores_used"]  # the GIL's ceiling: one core
    assert data["cpu"] is True


def test_burst_helper_runs_and_reports():
    sys.path.insert(0, str(REPO))
    from benchmarks import concurrency

    data = concurrency.burst(models=("threading",), backlogs=(128,), clients=4, work=0.001)
    assert set(data["seconds"]["threading"]) == {"128"}
    assert "backlog" in concurrency.burst_table(data)
