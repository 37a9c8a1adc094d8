"""Interrupting a batch (kill -9, Ctrl-C) and running it again loses nothing."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from nbgrader.api import Gradebook

from conftest import wait_until
from graders.course.paths import nbgrader

REPO = Path(__file__).resolve().parent.parent
STUDENTS = ["correct", "wrong_answer", "crashes_at_start", "never_answers"]
EXPECTED = {"correct": 10.0, "wrong_answer": 7.5, "crashes_at_start": 0.0, "never_answers": 2.0}
pytestmark = pytest.mark.slow


def course(root: Path) -> None:
    for student in STUDENTS:
        shutil.copytree(REPO / "examples" / "submissions" / student / "clock",
                        root / "submitted" / student / "clock")
    nbgrader("generate_assignment", "clock", "--force", root=root, release=root / "release")


def graded(root: Path) -> set[str]:
    state = root / ".graders" / "clock.json"
    try:
        return {k for k, v in json.loads(state.read_text()).items() if v["status"] == "graded"}
    except (OSError, ValueError):
        return set()


def start_batch(root: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "graders", "autograde", "clock", "--root", str(root),
                             "--jobs", "1"], cwd=REPO, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.mark.parametrize("how", ["kill -9", "Ctrl-C"])
def test_interrupted_batch_finishes_the_rest_when_run_again(tmp_path, how):
    course(tmp_path)
    batch = start_batch(tmp_path)
    try:
        assert wait_until(lambda: len(graded(tmp_path)) >= 1, 300), "the batch graded nothing"
        if how == "kill -9":
            batch.kill()
        else:
            os.killpg(batch.pid, signal.SIGINT)
        batch.wait(60)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.wait()
    done_before = graded(tmp_path)
    assert done_before and done_before != set(STUDENTS)
    # the gradings under way died with the batch (workers and kernels: PR_SET_PDEATHSIG): nothing grades behind our back
    assert wait_until(lambda: not [p for p in psutil.process_iter(["cmdline"])
                                   if str(tmp_path) in " ".join(p.info["cmdline"] or [])], 30)
    again = subprocess.run([sys.executable, "-m", "graders", "autograde", "clock", "--root", str(tmp_path)],
                           cwd=REPO, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stdout + again.stderr
    assert graded(tmp_path) == set(STUDENTS)
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions("clock")}
    assert scores == EXPECTED
