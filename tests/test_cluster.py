"""Grading on a Dask distributed cluster (issue 12): a real scheduler and two real workers.

The test starts ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1 (``--no-nanny``, so that a worker killed with SIGKILL stays dead and
its tasks must go elsewhere), grades the clock samples through them with
``python -m graders autograde clock --scheduler ADDRESS``, and checks that the
gradebook holds the same scores as the local batch gives
(examples/clock/expected.json, which tests/test_autograde.py checks against
the local batch), every student graded once (the batch's journal).

A cluster that loses every worker (issue 25): the batch waits for a worker
(``--worker-wait``) and goes on when one comes, with the same grades; when none
comes, it stops with one line, and a rerun grades only what was left.  What a
killed worker had started is held by pidfd (tests/_pidfd.py) and must end with it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from _pidfd import Held
from conftest import wait_until
from graders.course.paths import nbgrader

pytest.importorskip("distributed", reason="the cluster extra is not installed: pip install '.[cluster]'")
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((REPO / "examples" / "clock" / "expected.json").read_text())
STUDENTS = sorted(EXPECTED)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and workers on 127.0.0.1, each its own process (all killed by :meth:`close`)."""

    def __init__(self, logs: Path, workers: int = 2) -> None:
        self.logs = logs
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen] = []
        self.scheduler = self._start("scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler",
                                                   "--host", "127.0.0.1", "--port", str(self.port),
                                                   "--no-dashboard"])
        assert wait_until(lambda: self._listening(), 60), self.log("scheduler")
        self.workers = [self.add_worker(f"worker{i}") for i in range(1, workers + 1)]

    def _start(self, name: str, command: list[str]) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "w")
        proc = subprocess.Popen(command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.procs.append(proc)
        return proc

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def add_worker(self, name: str) -> subprocess.Popen:
        proc = self._start(name, [sys.executable, "-m", "distributed.cli.dask_worker", self.address,
                                  "--no-nanny", "--nthreads", "1", "--host", "127.0.0.1",
                                  "--no-dashboard", "--preload", "graders.grading.worker", "--name", name])
        assert wait_until(lambda: "isolation mode" in self.log(name) or proc.poll() is not None, 60), self.log(name)
        assert proc.poll() is None, self.log(name)
        return proc

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """One scheduler and two workers for the module (the test that kills a worker runs last)."""
    logs = tmp_path_factory.mktemp("cluster-logs")
    running = Cluster(logs)
    try:
        yield running
    finally:
        running.close()


def make_course(root: Path, students: list[str] = STUDENTS) -> None:
    for student in students:
        shutil.copytree(REPO / "examples" / "submissions" / student / "clock", root / "submitted" / student / "clock")
    nbgrader("generate_assignment", "clock", "--force", root=root, release=root / "release")


def scores(root: Path) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions("clock")}


def journal(root: Path) -> list[dict]:
    path = root / ".graders" / "clock.journal"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def autograde(root: Path, address: str, *options: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "graders", "autograde", "clock", "--root", str(root),
                             "--scheduler", address, *options], cwd=REPO, stdin=subprocess.DEVNULL,
                            **{"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True, **popen})


def test_the_cluster_grades_like_the_local_batch(cluster, tmp_path):
    root = tmp_path / "course"
    make_course(root)
    batch = autograde(root, cluster.address)
    out, _ = batch.communicate(timeout=600)
    assert batch.returncode == 0, out
    assert scores(root) == {s: float(e["score"]) for s, e in EXPECTED.items()}, out
    assert sorted(j["student"] for j in journal(root)) == STUDENTS
    assert re.search(r"graded on 2 Dask workers at tcp://127\.0\.0\.1:\d+", out), out
    workers = {j["worker"] for j in journal(root)}
    assert len(workers) == 2, f"both workers should have graded: {workers}"


def test_a_worker_that_cannot_isolate_refuses_tasks(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    env = dict(os.environ, GRADERS_ISOLATION="fallback")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = []
    try:
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                       "127.0.0.1", "--port", str(port), "--no-dashboard"], cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        out = open(logs / "worker.log", "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                       "--no-nanny", "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard",
                                       "--preload", "graders.grading.worker"], cwd=REPO, env=env,
                                      stdout=out, stderr=subprocess.STDOUT))
        out.close()
        text = lambda: (logs / "worker.log").read_text(errors="replace")  # noqa: E731
        assert wait_until(lambda: "isolation mode" in text(), 60), text()
        assert "isolation mode fallback" in text() and "will refuse tasks" in text(), text()
        root = tmp_path / "course"
        shutil.copytree(REPO / "examples" / "submissions" / "correct" / "clock", root / "submitted" / "correct" / "clock")
        nbgrader("generate_assignment", "clock", "--force", root=root, release=root / "release")
        done = subprocess.run([sys.executable, "-m", "graders", "autograde", "clock", "--root", str(root),
                               "--scheduler", address], cwd=REPO, capture_output=True, text=True, timeout=300,
                              stdin=subprocess.DEVNULL)
        assert done.returncode == 1, done.stdout + done.stderr
        assert "cannot isolate student code" in done.stdout + done.stderr
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_a_worker_killed_mid_task_loses_no_grade_and_grades_nothing_twice(cluster, tmp_path):
    root = tmp_path / "course"
    make_course(root)
    victim = psutil.Process(cluster.workers[0].pid)
    batch = autograde(root, cluster.address)
    try:
        # mid-task: the worker has started a kernel or a sandbox for a submission
        assert wait_until(lambda: bool(victim.children(recursive=True)), 300), "worker 1 never got a task"
        victim.send_signal(signal.SIGKILL)
        out, _ = batch.communicate(timeout=600)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.wait()
    assert batch.returncode == 0, out
    assert scores(root) == {s: float(e["score"]) for s, e in EXPECTED.items()}, out
    recorded = [j["student"] for j in journal(root)]
    assert sorted(recorded) == STUDENTS, f"each student recorded exactly once: {recorded}"
    # what the dead worker had started died with it (kernels: PR_SET_PDEATHSIG; sandboxes: their jail)
    assert wait_until(lambda: not [p for p in psutil.process_iter(["ppid"]) if p.info["ppid"] == victim.pid], 30)


# -- a cluster that loses every worker (issue 25) ----------------------------------------------

FEW = ["correct", "crashes_at_start", "wrong_answer"]  # scores 10, 0, 7.5


@pytest.fixture
def lonely(tmp_path_factory):
    """A scheduler and one worker, for a test that kills every worker (and may start others)."""
    running = Cluster(tmp_path_factory.mktemp("lonely-logs"), workers=1)
    try:
        yield running
    finally:
        running.close()


def kill_every_worker(cluster: Cluster, held: Held) -> None:
    """SIGKILL the cluster's workers (no nanny: they stay dead), holding what they had started."""
    for proc in cluster.workers:
        if proc.poll() is None:
            victim = psutil.Process(proc.pid)
            proc.send_signal(signal.SIGSTOP)  # it starts nothing more while we list what it started
            for child in victim.children(recursive=True):
                held.hold(child)
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
    cluster.workers = []


def batch_output(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.timeout(900)  # a batch, and a new worker's start, on a loaded machine
def test_a_cluster_that_loses_every_worker_waits_for_one_and_grades_the_same(lonely, tmp_path):
    root = tmp_path / "course"
    make_course(root, FEW)
    out = tmp_path / "batch.out"
    with open(out, "w") as sink, Held() as held:
        batch = autograde(root, lonely.address, "--worker-wait", "240", stdout=sink, stderr=subprocess.STDOUT)
        try:
            worker = psutil.Process(lonely.workers[0].pid)
            # mid-task: the worker has started a kernel or a sandbox for a submission
            assert wait_until(lambda: bool(worker.children(recursive=True)), 300), "the worker never got a task"
            kill_every_worker(lonely, held)
            assert wait_until(lambda: "waiting up to 240 s" in batch_output(out), 60), batch_output(out)
            lonely.workers.append(lonely.add_worker("worker-back"))
            batch.wait(600)
        finally:
            if batch.poll() is None:
                batch.kill()
                batch.wait()
        # what the killed worker had started died with it (kernels: PR_SET_PDEATHSIG; sandboxes: their jail)
        assert held.wait_gone(30), f"survivors of the killed worker: {held.running()}"
    text = batch_output(out)
    assert batch.returncode == 0, text
    assert scores(root) == {s: float(EXPECTED[s]["score"]) for s in FEW}, text
    recorded = [j["student"] for j in journal(root)]
    assert sorted(recorded) == FEW, f"each student recorded exactly once: {recorded}"
    assert "not graded" not in text and "failed" not in text, text


@pytest.mark.timeout(900)  # two batches and a worker's start on a loaded machine
def test_a_cluster_whose_workers_do_not_come_back_stops_with_one_line_and_a_rerun_grades_the_rest(lonely, tmp_path):
    root = tmp_path / "course"
    make_course(root, FEW)
    out = tmp_path / "batch.out"
    with open(out, "w") as sink, Held() as held:
        batch = autograde(root, lonely.address, "--worker-wait", "3", stdout=sink, stderr=subprocess.STDOUT)
        try:
            assert wait_until(lambda: len(journal(root)) >= 1, 300), "the worker graded nothing"
            kill_every_worker(lonely, held)
            batch.wait(120)
        finally:
            if batch.poll() is None:
                batch.kill()
                batch.wait()
        assert held.wait_gone(30), f"survivors of the killed worker: {held.running()}"
    text = batch_output(out)
    graded = sorted(j["student"] for j in journal(root))
    left = len(FEW) - len(graded)
    assert batch.returncode == 1, text
    assert left >= 1, f"the batch finished before the workers were killed: {text}"
    said = [line for line in text.splitlines() if "not graded" in line]
    assert said == [f"autograde clock stopped: {left} of {len(FEW)} submission{'s were' if left > 1 else ' was'} "
                    f"not graded, because the Dask cluster at {lonely.address} had no worker for 3 s "
                    "(--worker-wait); run the same command again to grade only those (what was graded is kept)"], text
    assert "waiting up to 3 s" in text and "failed" not in text, text
    # the gradebook holds exactly what the journal says was graded, with the right scores
    assert scores(root) == {s: float(EXPECTED[s]["score"]) for s in graded}, text
    state = json.loads((root / ".graders" / "clock.json").read_text())
    assert sorted(state) == graded and all(v["status"] == "graded" for v in state.values()), state
    # a worker again: the same command grades only the rest
    lonely.workers.append(lonely.add_worker("worker-again"))
    again = autograde(root, lonely.address, "--worker-wait", "3")
    try:
        text, _ = again.communicate(timeout=600)
    finally:
        if again.poll() is None:
            again.kill()
            again.wait()
    assert again.returncode == 0, text
    assert scores(root) == {s: float(EXPECTED[s]["score"]) for s in FEW}, text
    recorded = [j["student"] for j in journal(root)]
    assert sorted(recorded) == FEW, f"each student recorded exactly once, over both runs: {recorded}"
