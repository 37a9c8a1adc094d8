"""The server runtime (servers/_runtime.py) and the notebook starter (servers/notebook.py).

Real processes and real sockets: every server here is ``python -m servers.NAME``.
"""
from __future__ import annotations

import inspect
import os
import signal
import subprocess
import sys
import threading

import psutil
import pytest
from _pidfd import Held
from conftest import wait_until
from layer12_helpers import gone, listening, read_line, spawn  # noqa: F401 (spawn: fixture)

from servers import notebook
from servers.notebook import ServerError, ask, running, start


def test_readiness_line_is_the_first_and_only_one():
    with running("echo_socket") as server:
        assert server.port and server.port > 0
        assert server.address == ("127.0.0.1", server.port)
        lines = server.output().splitlines()
        assert lines[0] == f"listening on 127.0.0.1:{server.port}"
        assert sum(line.startswith("listening on") for line in lines) == 1
        assert listening(server.port)
        assert ask(server.address, b"ping") == b"ping"


def test_command_line_runs_as_module_with_host_and_port_options():
    proc = subprocess.Popen([sys.executable, "-m", "servers.echo_socket", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            cwd=notebook.PACKAGE_ROOT)
    try:
        line = read_line(proc, 10)
        assert line.startswith("listening on 127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        assert ask(("127.0.0.1", port), b"x") == b"x"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
        rest = proc.stdout.read().decode()
        assert "stopped by SIGINT" in rest and "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()


@pytest.mark.parametrize("sig, name", [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")])
def test_signals_stop_cleanly_with_status_0(sig, name):
    server = start("echo_socket")
    port = server.port
    server.proc.send_signal(sig)
    assert server.wait(10) == 0
    out = server.output()
    assert f"stopped by {name}" in out
    assert "Traceback" not in out
    assert not listening(port)


def test_stop_returns_0_and_frees_the_port():
    server = start("echo_socket")
    assert server.stop() == 0
    assert not server.is_running()
    assert not listening(server.port)
    assert server.stop() == 0  # twice is fine
    assert notebook.servers_running() == []


def test_running_stops_the_server_when_the_block_raises():
    with pytest.raises(ZeroDivisionError):
        with running("echo_socket") as server:
            1 / 0
    assert not server.is_running()
    assert server.returncode == 0


def test_restarting_the_same_key_stops_the_previous_server():
    first = start("echo_socket")
    second = start("echo_socket")
    try:
        assert not first.is_running() and first.returncode == 0
        assert second.is_running()
        other = start("echo_socket", key="another copy")
        assert second.is_running() and other.is_running()
        assert {s.pid for s in notebook.servers_running()} == {second.pid, other.pid}
    finally:
        notebook.stop_all()
    assert notebook.servers_running() == []


def test_unknown_module_raises_with_the_output():
    with pytest.raises(ServerError) as info:
        start("no_such_server_module")
    assert "No module named servers.no_such_server_module" in str(info.value)
    assert info.value.returncode == 1


def test_port_in_use_is_one_clear_line_and_status_1():
    with running("echo_socket") as server:
        with pytest.raises(ServerError) as info:
            start("echo_socket", port=server.port, key="second")
        assert "cannot listen: OSError: [Errno 98] Address already in use" in info.value.output
        assert "Traceback" not in info.value.output
        assert info.value.returncode == 1


def test_a_silent_server_misses_its_deadline_and_is_killed(tmp_path):
    # sitecustomize runs before the module: the server hangs before it can listen.
    (tmp_path / "sitecustomize.py").write_text("import time\nprint('stuck', flush=True)\ntime.sleep(60)\n")
    with pytest.raises(ServerError) as info:
        start("echo_socket", timeout=1.0, env={"PYTHONPATH": str(tmp_path)})
    assert "no readiness line within 1 s" in str(info.value)
    assert "stuck" in info.value.output
    assert info.value.returncode is None


def test_readiness_regex_needs_a_whole_line():
    assert notebook.READY_RE.match("listening on 127.0.0.1:8080")["port"] == "8080"
    assert notebook.READY_RE.match("listening on ::1:8080")["host"] == "::1"
    assert notebook.READY_RE.match("listening on unix:/tmp/x.sock")["path"] == "/tmp/x.sock"
    assert notebook.READY_RE.match("connected at 127.0.0.1:8080") is None


def test_wait_for_waits_for_output_with_a_deadline():
    with running("echo_socket") as server:
        ask(server.address, b"abc")
        assert "received 3 bytes" in server.wait_for("closed after 3 bytes", 5)
        with pytest.raises(TimeoutError):
            server.wait_for("never printed", 0.2)


def test_all_interfaces_host_is_connected_through_loopback():
    with running("echo_socket", host="") as server:
        assert server.host == "0.0.0.0"
        assert server.address == ("127.0.0.1", server.port)
        assert ask(server.address, b"hi") == b"hi"


def test_server_is_in_the_starters_process_group_not_a_new_session():
    with running("echo_socket") as server:
        assert os.getpgid(server.pid) == os.getpgid(0)
        assert os.getsid(server.pid) == os.getsid(0)


MIDDLE = """
import threading
from servers.notebook import start
s = start("echo_socket")
print(s.pid, s.port, flush=True)
threading.Event().wait()
"""


def started_server(middle, held: Held) -> tuple[int, int]:
    """The pid and port that ``middle`` printed for the server it started, the server held by a pidfd
    (so that, once orphaned, it is waited for and killed as itself, never as a reused pid)."""
    pid, port = map(int, read_line(middle, 15).split())
    server = psutil.Process(pid)
    assert server.ppid() == middle.pid  # its parent has not reaped it: the pid is still the server's
    assert held.hold(server, "the server")
    return pid, port


@pytest.mark.parametrize("pdeathsig", ["1", "0"], ids=["pdeathsig", "getppid-watch"])
def test_server_exits_when_its_starter_is_killed(spawn, pdeathsig):
    """A SIGKILLed kernel runs no atexit: the watchdog must stop its servers."""
    middle = spawn(MIDDLE, SERVERS_PDEATHSIG=pdeathsig)
    with Held() as server:
        pid, port = started_server(middle, server)
        assert listening(port)
        middle.kill()
        middle.wait()
        assert server.wait_gone(5), "server outlived the process that started it"
    assert wait_until(lambda: not listening(port), 5)


def test_killing_the_starters_process_group_kills_the_server(spawn):
    """What Jupyter does to a kernel: signal its whole process group."""
    code = "import os; os.setpgid(0, 0)\n" + MIDDLE
    middle = spawn(code, SERVERS_WATCHDOG="0")  # only the process group can stop it
    with Held() as server:
        pid, port = started_server(middle, server)
        assert os.getpgid(pid) == middle.pid
        os.killpg(middle.pid, signal.SIGKILL)
        middle.wait()
        assert server.wait_gone(5)
    assert wait_until(lambda: not listening(port), 5)


def test_watchdog_can_be_switched_off_and_then_the_server_is_orphaned(spawn):
    """The pitfall the watchdog prevents: without it, a killed starter leaves a listener."""
    middle = spawn(MIDDLE, SERVERS_WATCHDOG="0")
    with Held() as server:
        pid, port = started_server(middle, server)
        middle.kill()
        middle.wait()
        try:
            assert not server.wait_gone(1.0)
            assert listening(port)
        finally:
            server.kill()
            server.wait_gone(5)
    assert wait_until(lambda: not listening(port), 5)


def test_start_from_a_thread_survives_the_thread():
    """PR_SET_PDEATHSIG fires when the starting *thread* ends; start() switches it off."""
    box = []
    thread = threading.Thread(target=lambda: box.append(start("echo_socket")))
    thread.start()
    thread.join()
    server = box[0]
    try:
        with pytest.raises(TimeoutError):
            server.wait_for("stopped", 0.5)
        assert server.is_running()
        assert ask(server.address, b"still here") == b"still here"
    finally:
        assert server.stop() == 0


def test_stop_escalates_to_sigkill_for_a_server_that_ignores_signals(tmp_path):
    # sitecustomize makes signal.signal() a no-op and ignores SIGINT/SIGTERM.
    (tmp_path / "sitecustomize.py").write_text(
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal = lambda *a: None\n")
    server = start("echo_socket", env={"PYTHONPATH": str(tmp_path)})
    assert server.stop(grace=(0.3, 0.3, 5)) == -signal.SIGKILL
    assert not psutil.pid_exists(server.pid) or gone(server.pid)


LAYER_1_2 = {  # module: extra start() arguments
    "echo_socket": {}, "trickle_socket": {}, "line_socket": {}, "prefix_socket": {},
    "clock_server": {}, "upper_server": {}, "echo_lifecycle": {}, "udp_server": {},
    "unix_server": {"port": None}, "threading_server": {}, "stoppable_server": {},
}


@pytest.mark.parametrize("name", sorted(LAYER_1_2))
def test_every_layer_1_2_server_starts_and_stops_cleanly_with_deprecations_as_errors(name):
    server = start(name, env={"PYTHONWARNINGS": "error::DeprecationWarning"}, **LAYER_1_2[name])
    assert server.stop() == 0, server.output()
    out = server.output()
    assert out.count("listening on ") == 1 and "stopped by SIGINT" in out
    assert "Warning" not in out and "Traceback" not in out


@pytest.mark.parametrize("name", sorted(LAYER_1_2) + ["clock_client"])
def test_every_layer_1_2_module_has_a_help_and_a_docstring_citing_its_source(name):
    result = subprocess.run([sys.executable, "-m", f"servers.{name}", "--help"],
                            capture_output=True, text=True, timeout=30, cwd=notebook.PACKAGE_ROOT)
    assert result.returncode == 0 and "usage:" in result.stdout
    module = __import__(f"servers.{name}", fromlist=["main"])
    assert "Sources:" in module.__doc__ and "Watch for" in module.__doc__
    source = inspect.getsource(module)  # Python 2's name only in cited titles
    assert "import SocketServer" not in source and "SocketServer." not in source
