"""A server forked by the zygote (graders/sandbox/_zygote.py) sees what ``python FILE`` would show it.

Each probe runs twice in a sandbox: the plain way (``GRADERS_ZYGOTE=off``: ``unshare`` and a
fresh interpreter) and from the zygote; what it prints must be the same.
"""
from __future__ import annotations

import re
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from graders import sandbox
from graders.sandbox import Sandbox

pytestmark = pytest.mark.skipif(not sandbox.zygote_enabled(), reason="no zygote here (namespaces mode only)")

PROBE = textwrap.dedent('''
    import atexit, os, signal, sys, threading, time
    print("argv", sys.argv, "name", __name__, "package", __package__, "spec", __spec__)
    print("file", os.path.basename(__file__), "path0 is the file's folder", sys.path[0] == os.path.dirname(__file__))
    print("signals", [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGPIPE, signal.SIGCHLD,
                                                     signal.SIGTERM, signal.SIGXFSZ)])
    print("fds", sorted(int(fd) for fd in os.listdir("/proc/self/fd")))
    print("environment", sorted(k for k in os.environ if k != "PWD"), os.environ.get("SECRET"))
    print("pid", os.getpid(), "cwd is the file's folder", os.getcwd() == os.path.dirname(__file__))
    print("umask", oct(os.umask(0o077)), "exit builtin", callable(exit))
    import resource
    print("limits", resource.getrlimit(resource.RLIMIT_AS), resource.getrlimit(resource.RLIMIT_NOFILE))
    print("stdout", sys.stdout.encoding, sys.stdout.errors, sys.stdout.write_through)
    print("sitecustomize seeded", __import__("random").random())
    def later():
        time.sleep(0.2)
        print("the non-daemon thread ran to its end", flush=True)
    threading.Thread(target=later).start()
    atexit.register(lambda: print("atexit ran", flush=True))
    def fail():
        return 1 / 0
    fail()
''')

SITE = "import random\nrandom.seed(7)\n"


def run(program: str, *, zygote: bool, monkeypatch, site: bool = False) -> tuple[str, int | None]:
    monkeypatch.setenv("GRADERS_ZYGOTE", "on" if zygote else "off")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "probe.py").write_text(program)
        env = {"SECRET": "42"}
        if site:
            (work / "sitecustomize.py").write_text(SITE)
            env["PYTHONPATH"] = "."
        with Sandbox([sys.executable, "probe.py"], work, env=env) as box:
            box.start()
            code = box.wait_exit(20)
            output = box.output(settle=1.0)
    return re.sub(r"/tmp/[^/\"']+", "TMP", output), code


def test_a_program_sees_what_python_file_shows_it(monkeypatch):
    plain, plain_code = run(PROBE, zygote=False, monkeypatch=monkeypatch, site=True)
    forked, forked_code = run(PROBE, zygote=True, monkeypatch=monkeypatch, site=True)
    assert "the non-daemon thread ran to its end" in plain and "atexit ran" in plain, plain
    assert "ZeroDivisionError" in plain and plain_code == 1, plain
    assert forked_code == plain_code
    assert forked.splitlines() == plain.splitlines()


def test_a_syntax_error_reads_as_python_reports_it(monkeypatch):
    plain, plain_code = run("x = (\n", zygote=False, monkeypatch=monkeypatch)
    forked, forked_code = run("x = (\n", zygote=True, monkeypatch=monkeypatch)
    assert plain_code == forked_code == 1
    assert "SyntaxError" in plain and "Traceback" not in plain, plain
    assert forked == plain


def test_the_zygote_is_started_once_and_reused(monkeypatch):
    monkeypatch.setenv("GRADERS_ZYGOTE", "on")
    monkeypatch.setenv("TZ", "UTC+07")  # a start-up environment no other test uses: a zygote of its own
    before = sandbox.Zygote.pids()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "p.py").write_text("pass\n")
        seen = []
        for _ in range(3):
            with Sandbox([sys.executable, "p.py"], Path(tmp)) as box:
                box.start()
                assert box.wait_exit(20) == 0
            seen.append(sandbox.Zygote.pids() - before)
    assert len(seen[0]) == 1 and seen[0] == seen[1] == seen[2], seen


def test_a_sandbox_closed_while_it_starts_leaves_nothing(monkeypatch):
    """A check cancelled (its dependency failed) closes its sandbox from another thread."""
    import threading

    import psutil
    before = {p.pid for p in psutil.Process().children(recursive=True)}  # the session's helpers
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "p.py").write_text("import time\ntime.sleep(60)\n")
        for _ in range(20):
            box = Sandbox([sys.executable, "p.py"], Path(tmp))
            closer = threading.Thread(target=box.close)
            starter = threading.Thread(target=lambda: _start_quietly(box))
            starter.start()
            closer.start()
            starter.join(30)
            closer.join(30)
            box.close()
    zygotes = sandbox.Zygote.pids()
    left = [p for p in psutil.Process().children(recursive=True)
            if p.pid not in zygotes | before and p.status() != psutil.STATUS_ZOMBIE]
    assert not left, [p.cmdline() for p in left]


def _start_quietly(box: Sandbox) -> None:
    try:
        box.start()
    except sandbox.SandboxError:
        pass
