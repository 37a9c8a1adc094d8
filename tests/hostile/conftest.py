"""Fixtures for the hostile corpus: watch every sandbox a test starts, and prove it is gone.

``watch`` wraps :meth:`graders.sandbox.Sandbox.start` (in this test process only) and records,
for each sandbox, handles that name it and nothing else, ever (never a pid or a namespace's
inode alone: the kernel reuses both, and on a shared machine that could take another run's
sandbox for ours, and kill it):

* its marker token (``GRADERS_SANDBOX_ID``, random);
* the cgroups the grading created for it (named after the token): their members are its processes;
* in the namespaces mode, a pidfd (``pidfd_open(2)``, held from the start) for process 1 of its
  PID namespace, the jail.  While that process runs, the namespace, and so its inode, is
  that sandbox's; when it has exited, the kernel has killed every process of the namespace.

After the test it waits (with a deadline) until none of those has a live process left, and no
process started from this test session (``WORKBOOK_TEST_SESSION``) names a hostile server in
its command line; otherwise it kills the survivors through those handles and fails the test
with their details.

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
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from _watch import Watch
from graders import sandbox as sandbox_module
from graders.sandbox import Limits, Sandbox, isolation_mode

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SERVERS = HERE / "servers"
CORRECT = REPO / "examples" / "clock" / "correct.py"
WELL_KNOWN = Path("/var/tmp/graders-hostile")
OUTSIDE_TMP = Path("/var/tmp")
SURVIVOR_DEADLINE = 10.0  # seconds a closed sandbox's processes get to disappear


def wait_until(predicate, timeout: float, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)  # polling with a deadline, not waiting for readiness blindly


@pytest.fixture
def watch(monkeypatch):
    record = Watch()
    original = Sandbox.start

    def start(self, *args, **kwargs):
        try:
            return original(self, *args, **kwargs)
        finally:
            record.add(self)

    monkeypatch.setattr(Sandbox, "start", start)
    try:
        yield record
        survivors: list[psutil.Process] = []

        def gone() -> bool:
            nonlocal survivors
            survivors = record.processes()
            return not survivors

        if not wait_until(gone, SURVIVOR_DEADLINE, 0.1):
            details = []
            for proc in survivors:
                try:
                    details.append(f"pid {proc.pid}: {' '.join(proc.cmdline())}")
                except psutil.Error:
                    pass
            record.kill()  # do not let one failure take the next tests down too
            pytest.fail("sandbox processes survived their grading:\n  " + "\n  ".join(details), pytrace=False)
    finally:
        record.close()


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
