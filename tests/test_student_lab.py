"""A student's JupyterLab without the hub: ``python -m graders course student-lab DIR`` (docs/course.md).

A real unprivileged student (tests/course_users.py) starts it in their home;
the test then does what the *Assignments* tab and *Validate* button do, over
the server's HTTP API: list and fetch the released clock, answer it, validate
it, submit it.  Formgrader is not there.  Needs root (creates a Unix user).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

import course_users
from graders.course import admin as course_admin

httpx = pytest.importorskip("httpx")
pytest.importorskip("jupyterlab", reason="the lab extra: pip install -e '.[lab]'")

REPO = Path(__file__).resolve().parent.parent
CORRECT = REPO / "examples" / "clock" / "correct.py"
START_DEADLINE = 120.0  # seconds for JupyterLab to answer on a loaded 2-core machine

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not course_users.is_root(), reason="creates a Unix user: needs root")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def student_lab(course: course_admin.Course, user: str, home: Path):
    """``course student-lab`` run by ``user`` in ``home``; yields (HTTP client, url); stopped at the end."""
    port, token = free_port(), secrets.token_hex(16)
    options = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 "
               f"--IdentityProvider.token={token} --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    argv = course_users.spawn_argv(user, [sys.executable, "-m", "graders", "course", "student-lab",
                                          str(course.base), "--lab-args", options], cwd=home)
    log = open(home.parent / f"{user}-lab.log", "w")
    process = subprocess.Popen(argv, env=course_users.environment(user, home), stdin=subprocess.DEVNULL,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    client = httpx.Client(base_url=url, headers={"Authorization": f"token {token}"}, timeout=120)
    try:
        deadline = time.monotonic() + START_DEADLINE
        while True:
            if process.poll() is not None:
                pytest.fail(f"the student's JupyterLab exited:\n{Path(log.name).read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/api/status").status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"no answer in {START_DEADLINE:.0f} s:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.25)
        yield client, process
    finally:
        client.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        left = [p for p in psutil.process_iter() if _sid(p) == process.pid]
        for p in left:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(left, timeout=10)
        log.close()


def _sid(p: psutil.Process) -> int | None:
    try:
        return os.getsid(p.pid)
    except OSError:
        return None


@pytest.fixture
def shared_tmp():
    """A folder every user may enter (pytest's tmp_path is root's alone); removed at the end."""
    path = Path(tempfile.mkdtemp(prefix="wb-student-lab-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _cmdline(process: psutil.Process) -> list[str]:
    """The command line of ``process``; [] when it has exited meanwhile (gone, or a zombie not yet reaped)."""
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):  # ZombieProcess is a NoSuchProcess; both said
        return []


def test_a_student_lab_without_the_hub_fetches_validates_and_submits(shared_tmp):
    tmp_path = shared_tmp
    course = course_admin.init(tmp_path / "course")
    course_admin.run_nbgrader(course, "generate_assignment", "clock", "--force", timeout=300)
    course_admin.run_nbgrader(course, "release_assignment", "clock", "--force", timeout=120)
    name = course_users.unique_name("wblab")
    home = tmp_path / "home" / name
    entry = course_users.create_user(name, home)
    try:
        with student_lab(course, name, home) as (client, process):
            # The Lab runs as the student: the process answering (the one started, or what it started:
            # the tree's shape depends on how the wrapper execs) and everything below it.
            tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
            lab = [p for p in tree if 'jupyter' in ' '.join(_cmdline(p))]
            assert lab and all(p.uids().real == entry.pw_uid for p in lab), [(p.pid, p.uids()) for p in tree]
            # The Assignments tab: the released clock, fetched into the student's folder.
            listing = client.get("/assignments", params={"course_id": course_admin.COURSE_ID}).json()
            assert listing["success"] and [a["assignment_id"] for a in listing["value"]] == ["clock"], listing
            fetched = client.post("/assignments/fetch", data={"course_id": course_admin.COURSE_ID,
                                                               "assignment_id": "clock"}).json()
            assert fetched["success"], fetched
            notebook = home / "clock" / "clock.ipynb"
            assert notebook.stat().st_uid == entry.pw_uid
            # The student answers (as JupyterLab saves), then Validate.
            model = client.get("/api/contents/clock/clock.ipynb").json()
            answer = next(c for c in model["content"]["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
            answer["source"] = "%%writefile clock_server.py\n" + CORRECT.read_text()
            saved = client.put("/api/contents/clock/clock.ipynb",
                               json={"type": "notebook", "format": "json", "content": model["content"]})
            assert saved.status_code == 200, saved.text
            validated = client.post("/assignments/validate", data={"path": "clock/clock.ipynb"}, timeout=600).json()
            assert validated["success"], validated
            assert "value" in validated and "failed" not in json.dumps(validated["value"]).lower(), validated
            # Submit: the exchange's inbound holds it, as the student's.
            submitted = client.post("/assignments/submit", data={"course_id": course_admin.COURSE_ID,
                                                                  "assignment_id": "clock"}).json()
            assert submitted["success"], submitted
            inbound = course.exchange() / course_admin.COURSE_ID / "inbound"
            mine = [p for p in inbound.iterdir() if p.name.startswith(f"{name}+clock+")]
            assert len(mine) == 1 and mine[0].stat().st_uid == entry.pw_uid
            # No Formgrader for a student.
            assert client.get("/formgrader/api/assignments").status_code == 404
    finally:
        course_users.remove_user(name)
