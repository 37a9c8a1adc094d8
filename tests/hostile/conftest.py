"""Fixtures for the hostile corpus: watch every sandbox a test starts, and prove it is gone.

``watch`` wraps :meth:`graders.sandbox.Sandbox.start` (in this test process only) to record
each sandbox's marker token (``GRADERS_SANDBOX_ID``) and, in the namespaces mode, the inode
of its PID namespace.  After the test it waits (with a deadline) until no process on the
machine carries one of those tokens, lives in one of those PID namespaces, or names a hostile
server in its command line, and fails the test with the survivors' details otherwise.

``fake_course`` is a world-readable course directory with secrets in it (another student's
submission, a gradebook, an exported grades.csv) whose contents must be the same after every
test; tests grade from inside it, as nbgrader does (it runs in the course root).
``well_known`` is how a test tells a hostile server where to look:
``/var/tmp/graders-hostile/config.json`` (outside /tmp, which sandboxes may not see, so
that the attacks really run).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

from graders import sandbox as sandbox_module
from graders.sandbox import Limits, Sandbox, isolation_mode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SERVERS = HERE / "servers"
CORRECT = REPO / "examples" / "clock" / "correct.py"
WELL_KNOWN = Path("/var/tmp/graders-hostile")
OUTSIDE_TMP = Path("/var/tmp")
HOSTILE_NAMES = tuple(sorted(p.name for p in SERVERS.glob("*.py"))) + ("graders-hostile-daemon",)
SURVIVOR_DEADLINE = 10.0  # seconds a closed sandbox's processes get to disappear


def wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)  # polling with a deadline, not waiting for readiness blindly


def _pid_namespace(pid: int | str, which: str = "pid") -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/{which}")
    except OSError:
        return None


MY_PID_NAMESPACE = _pid_namespace("self")


@dataclass
class Watch:
    """The sandboxes started during one test."""

    tokens: set[str] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def processes(self, *, by_name: bool = True) -> list[psutil.Process]:
        """Every live process that belongs to one of the watched sandboxes."""
        found = []
        me = os.getpid()
        for proc in psutil.process_iter(["pid", "cmdline", "status"]):
            if proc.pid == me or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            mine = _pid_namespace(proc.pid) in self.namespaces
            if not mine and by_name:
                cmdline = " ".join(proc.info["cmdline"] or [])
                mine = any(name in cmdline for name in HOSTILE_NAMES)
            if not mine and self.tokens:
                try:
                    mine = proc.environ().get("GRADERS_SANDBOX_ID") in self.tokens
                except psutil.Error:
                    mine = False
            if mine:
                found.append(proc)
        return found

    def rss_bytes(self) -> int:
        """Resident memory of the largest watched sandbox: its processes summed (a sample).

        A grading's checks run at once, each server in a sandbox of its own with its own
        memory limit, so the limit to check holds per sandbox (per PID namespace).
        """
        per_sandbox: dict[str, int] = {}
        for proc in self.processes(by_name=False):
            try:
                key = _pid_namespace(proc.pid) or proc.environ().get("GRADERS_SANDBOX_ID", "?")
                per_sandbox[key] = per_sandbox.get(key, 0) + proc.memory_info().rss
            except psutil.Error:
                pass
        return max(per_sandbox.values(), default=0)


@pytest.fixture
def watch(monkeypatch):
    record = Watch()
    original = Sandbox.start

    def start(self, *args, **kwargs):
        with record.lock:
            record.tokens.add(self.token)
        try:
            return original(self, *args, **kwargs)
        finally:
            if self.host_pid is not None and self.mode == "namespaces":
                ns = _pid_namespace(self.host_pid, "pid_for_children")
                if ns and ns != MY_PID_NAMESPACE:
                    with record.lock:
                        record.namespaces.add(ns)

    monkeypatch.setattr(Sandbox, "start", start)
    yield record
    survivors: list[psutil.Process] = []

    def gone() -> bool:
        nonlocal survivors
        survivors = record.processes()
        return not survivors

    if not wait_until(gone, SURVIVOR_DEADLINE, 0.1):
        details = []
        for proc in survivors:
            with_ns = _pid_namespace(proc.pid)
            try:
                details.append(f"pid {proc.pid} ({with_ns}): {' '.join(proc.cmdline())}")
            except psutil.Error:
                pass
        for proc in survivors:  # do not let one failure take the next tests down too
            try:
                proc.kill()
            except psutil.Error:
                pass
        pytest.fail("sandbox processes survived their grading:\n  " + "\n  ".join(details), pytrace=False)


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@dataclass
class FakeCourse:
    root: Path
    secret: str
    secret_files: list[Path]

    def digest(self) -> dict[str, str]:
        return _digest(self.root)


@pytest.fixture
def fake_course_dir():
    root = Path(tempfile.mkdtemp(prefix="graders-hostile-course-", dir=OUTSIDE_TMP))
    secret = f"SECRET-{uuid.uuid4().hex}"
    other = root / "submitted" / "other_student" / "clock" / "clock.ipynb"
    other.parent.mkdir(parents=True)
    other.write_text(json.dumps({"cells": [{"source": f"# {secret}: the other student's answer"}]}))
    graded = root / "autograded" / "other_student" / "clock" / "clock.ipynb"
    graded.parent.mkdir(parents=True)
    graded.write_text(json.dumps({"cells": [{"source": f"# {secret}: graded"}]}))
    gradebook = root / "gradebook.db"
    gradebook.write_text(f"not really sqlite: {secret}\n")
    grades = root / "grades.csv"  # what `nbgrader export` writes in the course root
    grades.write_text(f"assignment,student_id,score\nclock,other_student,10 {secret}\n")
    for path in [root, *root.rglob("*")]:  # a course directory as it often is: readable by all
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    yield FakeCourse(root, secret, [other, graded, gradebook, grades])
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fake_course(fake_course_dir, monkeypatch):
    """The fake course, the current directory; the test fails if any of its files changed."""
    before = fake_course_dir.digest()
    monkeypatch.chdir(fake_course_dir.root)
    yield fake_course_dir
    assert fake_course_dir.digest() == before, "the fake course directory (gradebook, submissions) was changed"


@pytest.fixture
def well_known():
    """Write the hostile servers' config to /tmp/graders-hostile/config.json (a function)."""
    WELL_KNOWN.mkdir(exist_ok=True)
    os.chmod(WELL_KNOWN, 0o755)
    path = WELL_KNOWN / "config.json"

    def write(config: dict) -> Path:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(config))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return path

    write({})
    yield write
    path.unlink(missing_ok=True)


PROBE = r"""
import os, sys
wanted = int(sys.argv[1])
read_end, write_end = os.pipe()
made = 0
for _ in range(wanted):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.close(write_end)
        os.read(read_end, 1)
        os._exit(0)
    made += 1
os.close(write_end)
while True:
    try:
        os.wait()
    except ChildProcessError:
        break
print("FORKED", made, "OF", wanted, flush=True)
"""


def process_limit_enforced() -> tuple[bool, str]:
    """Whether a sandbox's program is held to a process limit (pids cgroup or RLIMIT_NPROC).

    Asks ``graders.sandbox.guarantees()["process_limit"]``, and (whatever it says, unless it
    says no) measures: a program in a sandbox forks (harmless, sleeping) children up to 16
    past ``Limits().processes`` and reports how many it got.  Enforced only if both agree.
    """
    api = getattr(sandbox_module, "guarantees", None)
    if callable(api) and not api().get("process_limit"):
        return False, f"graders.sandbox.guarantees() says {api()}"
    limit = Limits().processes
    wanted = limit + 16
    workdir = Path(tempfile.mkdtemp(prefix="graders-probe-"))
    try:
        (workdir / "probe.py").write_text(PROBE)
        with Sandbox([sys.executable, "probe.py", str(wanted)], workdir) as box:
            box.start()
            box.wait_exit(60)
            wait_until(lambda: "FORKED" in box.output(), 5)
            out = box.output()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    words = out[out.find("FORKED"):].split()
    if len(words) < 2 or not words[1].isdigit():
        return False, f"the process-limit probe did not report (output {out[-300:]!r})"
    made = int(words[1])
    enforced = made < wanted
    return enforced, (f"a sandboxed program forked {made} of {wanted} children "
                      f"(Limits().processes = {limit}, isolation {isolation_mode()}, uid {os.geteuid()})")
