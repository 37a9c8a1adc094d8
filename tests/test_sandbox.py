"""The sandbox: readiness, isolation and clean-up, with real processes.

The seed's clock server (hard-coded port 12091, no SO_REUSEADDR) must grade
as correct every time: several times in a row (TIME_WAIT) and alongside other
gradings (port collisions).
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest

from _watch import Watch
from graders import assignments, sandbox
from graders.checking.checks import run_checks
from graders.checking.harness import Server, Transcript
from graders.sandbox import Sandbox
from conftest import wait_until

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "clock" / "seed_verbatim.py"
CLOCK = assignments.get("clock")

namespaces_only = pytest.mark.skipif(sandbox.isolation_mode() != "namespaces",
                                     reason="this machine has no network/PID namespaces")


def test_seed_clock_server_passes_several_times_in_a_row():
    for _ in range(3):
        report = run_checks(CLOCK, SEED, only=["answers_question", "several_clients"])
        assert report.passed, report.render()


@namespaces_only
def test_seed_clock_server_passes_alongside_other_gradings():
    reports = []
    threads = [threading.Thread(target=lambda: reports.append(run_checks(CLOCK, SEED))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert len(reports) == 4
    assert all(r.passed for r in reports), "\n".join(r.render() for r in reports if not r.passed)


def test_fallback_mode_regrades_the_seed_despite_time_wait():
    env = dict(os.environ, GRADERS_ISOLATION="fallback")
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "graders", "check", "clock", str(SEED),
                               "--only", "several_clients"], env=env, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stdout + done.stderr


DAEMON = textwrap.dedent('''
    import os, socket, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
            while True:
                time.sleep(1)
        os._exit(0)
    os._exit(0)
''')


@pytest.mark.parametrize("mode", ["namespaces", "fallback"])
def test_a_double_forked_daemon_does_not_survive(tmp_path, monkeypatch, mode):
    if mode == "namespaces" and sandbox.isolation_mode() != "namespaces":
        pytest.skip("no namespaces here")
    monkeypatch.setenv("GRADERS_ISOLATION", mode)
    sandbox.isolation_mode.cache_clear()
    watch = Watch()  # the sandbox's processes: by its marker, its cgroup, its jail's pidfd (tests/_watch.py)
    try:
        (tmp_path / "daemon.py").write_text(DAEMON)
        server = Server(tmp_path / "daemon.py", Transcript())
        with server:
            server.sandbox.start()
            watch.add(server.sandbox)
            assert server.sandbox.wait_exit(20) == 0  # the program "exits"; its daemon lives on
            assert wait_until(lambda: watch.processes(by_name=False), 20)
        assert not watch.processes(by_name=False)
    finally:
        watch.close()
        sandbox.isolation_mode.cache_clear()


SLEEPER = textwrap.dedent('''
    import os, time
    if os.fork() == 0:
        os.setsid()
        time.sleep(600)
        os._exit(0)
    time.sleep(600)
''')


@namespaces_only
def test_a_leak_check_finds_its_own_sandbox_s_processes_and_never_another_s(tmp_path):
    """tests/_watch.py: what a teardown finds and kills is its own sandbox's, even once the kernel
    has given our dead sandbox's PID namespace inode to another run's sandbox."""
    boxes = []
    for name in ("ours", "stranger"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "sleeper.py").write_text(SLEEPER)
        boxes.append(Sandbox([sys.executable, "sleeper.py"], tmp_path / name))
    ours, theirs = Watch(), Watch()  # the stranger stands for another run's grading
    try:
        boxes[0].start()
        ours.add(boxes[0])
        boxes[1].start()
        theirs.add(boxes[1])
        pids = lambda watch: {p.pid for p in watch.processes(by_name=False)}  # noqa: E731
        assert wait_until(lambda: len(pids(ours)) >= 2 and len(pids(theirs)) >= 2, 20)
        stranger = pids(theirs)
        assert not pids(ours) & stranger
        assert ours.rss_bytes() > 0 and ours.owns(max(pids(ours))) and not ours.owns(max(stranger))
        ours.kill()  # a leak, killed through our handles
        assert wait_until(lambda: not ours.processes(), 10), ours.processes()
        assert pids(theirs) == stranger
        # the inode of our dead namespace now names the stranger's: nothing of theirs is ours
        ours.sandboxes[0].namespace = theirs.sandboxes[0].namespace
        assert not ours.processes()
        ours.kill()
        assert pids(theirs) == stranger
    finally:
        for box in boxes:
            box.close()
        ours.close()
        theirs.close()


@namespaces_only
def test_the_server_sees_only_its_own_files_and_no_network(tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("grades")
    (tmp_path / "peek.py").write_text(textwrap.dedent(f'''
        import os, socket
        print("tmp:", sorted(os.listdir("/tmp")))
        try:
            print("secret:", open({str(secret)!r}).read())
        except OSError as e:
            print("secret: refused", type(e).__name__)
        try:
            socket.create_connection(("10.255.255.1", 80), timeout=2)
        except OSError as e:
            print("network:", type(e).__name__, e.errno)
        print("uid:", os.getuid())
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
        import signal; signal.pause()
    '''))
    with Server(tmp_path / "peek.py", Transcript()) as server:
        server.sandbox.start()
        assert server.sandbox.wait_listening(20), server.output()
        assert wait_until(lambda: "uid:" in server.output(), 10), server.output()  # output trails events
        out = server.output()
    listed = next(line for line in out.splitlines() if line.startswith("tmp:"))
    entries = ast.literal_eval(listed.split(":", 1)[1].strip())
    # Only the way to the server's own working directory and to this Python (when it lives
    # in the temporary directory, as in a CI checkout under /tmp) are visible there.
    temp = os.path.realpath(tempfile.gettempdir())
    python_ways = {Path(os.path.realpath(p)).relative_to(temp).parts[0]
                   for p in (sys.executable, sys.prefix, sys.base_prefix)
                   if os.path.realpath(p).startswith(temp + os.sep)}
    assert [e for e in entries if e.startswith("graders-run-")] and \
        set(entries) <= python_ways | {e for e in entries if e.startswith("graders-run-")}, out
    assert "secret: refused" in out or "secret: \n" in out or "secret: " + "grades" not in out, out
    assert "network: OSError 101" in out or "ENETUNREACH" in out or "network: OSError" in out, out
    if os.geteuid() == 0:
        assert "uid: 0" not in out, out


def test_guarantees_are_reported():
    found = sandbox.guarantees()
    assert set(found) >= {"private_network", "process_limit", "everything_killed_at_end"}
    if sys.platform.startswith("linux") and sandbox.isolation_mode() == "namespaces":
        assert found["private_network"] and found["everything_killed_at_end"]


ECHO_ONCE = '''
    import socket
    server = socket.create_server(("127.0.0.1", 12091))
    while True:
        conn, _ = server.accept()
        data = conn.recv(100)
        try:
            conn.sendall(data)
        except OSError:
            pass
        conn.close()
'''


@pytest.mark.skipif(not sandbox.cgroup_support(), reason="no cgroups here: a server cannot be held up")
def test_a_held_server_reads_nothing_until_it_runs_again(tmp_path):
    """graders.sandbox.watch.hold: the freezer stops every process of the server (no signal) and lets it go."""
    from graders.sandbox import watch
    path = tmp_path / "server.py"
    path.write_text(textwrap.dedent(ECHO_ONCE), encoding="utf-8")
    with Server(path, Transcript()) as server:
        server.start(port=12091)
        client = server.client("A")
        with watch.hold(server) as frozen:
            assert frozen
            states = {open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
                      for pid in watch.server_pids(server)}
            assert states <= {"D"}, states  # frozen tasks sleep uninterruptibly in the freezer
            client.send(b"held")
            assert not wait_until(lambda: client.unread_by_server() == 0, 0.3)
        assert client.receive(4, timeout=5.0) == b"held"  # it ran again, and found the bytes
        assert server.alive()
