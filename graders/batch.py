"""Autograde a whole class with nbgrader, in parallel, resumably.

nbgrader's own ``autograde`` grades one submission after another (nbgrader
issue #174).  Here each submission is graded by its own ``nbgrader autograde
ASSIGNMENT --student ID`` process, ``jobs`` at a time; every grade comes from
nbgrader itself, so the gradebook is the same as a serial run's.

* Progress is shown with a bar; each submission ends as ``graded`` (maybe
  with a note: the kernel died, a cell hung) or ``failed`` with the reason
  (from nbgrader's log), never as a silent 0.
* The state of a batch is kept in ``ROOT/.graders/ASSIGNMENT.json``, written
  after every submission (atomically).  Interrupting the batch (Ctrl-C,
  ``kill -9``) loses at most the gradings under way; run the same command again
  and it grades only what is left.  ``--student ID`` regrades one student;
  ``--force`` regrades everyone.
* Each grading runs under ``graders._guard``, so it dies with the batch, and
  nbgrader's log goes to ``ROOT/.graders/logs/ASSIGNMENT/ID.log``.
* SQLite allows one writer at a time: a grading that fails with "database is
  locked" is retried (up to 3 times).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .course import REPO, SOLUTIONS, environment

STUDENT_TIMEOUT = 15 * 60  # seconds one submission may take, in all
RETRIES = 3


@dataclass
class Outcome:
    student: str
    status: str  # "graded" or "failed"
    reason: str = ""  # why it failed, or a note on a graded one
    seconds: float = 0.0


class State:
    """The batch's record of finished submissions, saved after each one."""

    def __init__(self, root: Path, assignment: str) -> None:
        self.path = root / ".graders" / f"{assignment}.json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.outcomes: dict[str, Outcome] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                self.outcomes = {k: Outcome(**v) for k, v in data.items()}
            except (ValueError, TypeError):
                self.outcomes = {}

    def record(self, outcome: Outcome) -> None:
        self.outcomes[outcome.student] = outcome
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: asdict(v) for k, v in sorted(self.outcomes.items())}, indent=1))
        os.replace(tmp, self.path)


def submitted_students(root: Path, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def _command(root: Path, assignment: str, student: str) -> list[str]:
    return [sys.executable, "-m", "graders._guard", "--",
            sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force",
            f"--CourseDirectory.root={root}", f"--CourseDirectory.source_directory={SOLUTIONS}"]


def failure_reason(log: str) -> str:
    """The most telling line of a failed nbgrader run's log."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        if ("Error" in line or "error" in line) and "Traceback" not in line and \
                "Please see the" not in line and "There was an error processing" not in line:
            return line[:300]
    return (lines[-1] if lines else "nbgrader failed without a message")[:300]


def autograded_note(root: Path, assignment: str, student: str) -> str:
    """What graders.nbgrader recorded about the kernel, if anything went wrong there."""
    import nbformat
    notes = []
    for nb_path in sorted((root / "autograded" / student / assignment).glob("*.ipynb")):
        try:
            meta = nbformat.read(str(nb_path), as_version=4).metadata.get("graders", {})
        except Exception:  # noqa: BLE001 - a note is best effort
            continue
        if meta.get("kernel"):
            notes.append(meta["kernel"])
        errors = [k for k, v in meta.get("checks", {}).items() if v == "error"]
        if errors:
            notes.append(f"grader error in {', '.join(errors)}")
    return "; ".join(notes)


class Batch:
    def __init__(self, root: Path, assignment: str, students: list[str], jobs: int,
                 progress: bool = True) -> None:
        self.root = root
        self.assignment = assignment
        self.students = students
        self.jobs = max(1, jobs)
        self.state = State(root, assignment)
        self.logs = root / ".graders" / "logs" / assignment
        self.logs.mkdir(parents=True, exist_ok=True)
        self.progress = progress

    def run(self) -> list[Outcome]:
        from tqdm import tqdm
        queue = [(s, 1) for s in self.students]
        running: dict[int, tuple[subprocess.Popen, str, int, float, object]] = {}
        env = environment()
        env["GRADERS_GUARD_PARENT"] = str(os.getpid())
        bar = tqdm(total=len(self.students), desc=f"autograde {self.assignment}", unit="submission",
                   disable=not self.progress, file=sys.stderr)
        try:
            while queue or running:
                while queue and len(running) < self.jobs:
                    student, attempt = queue.pop(0)
                    log = open(self.logs / f"{student}.log", "w")
                    proc = subprocess.Popen(_command(self.root, self.assignment, student), cwd=REPO,
                                            env=env, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT)
                    running[proc.pid] = (proc, student, attempt, time.monotonic(), log)
                pid, status = self._wait_any(running)
                if pid is None:
                    continue
                proc, student, attempt, began, log = running.pop(pid)
                log.close()
                seconds = round(time.monotonic() - began, 2)
                text = (self.logs / f"{student}.log").read_text(errors="replace")
                if status == "timeout":
                    outcome = Outcome(student, "failed", f"grading took longer than {STUDENT_TIMEOUT} s", seconds)
                elif status == 0:
                    outcome = Outcome(student, "graded", autograded_note(self.root, self.assignment, student),
                                      seconds)
                elif "database is locked" in text and attempt < RETRIES:
                    queue.append((student, attempt + 1))
                    continue
                else:
                    outcome = Outcome(student, "failed", failure_reason(text), seconds)
                self.state.record(outcome)
                bar.update(1)
                if outcome.status == "failed":
                    bar.write(f"  {student}: failed: {outcome.reason}")
        finally:
            for proc, *_ in running.values():
                proc.kill()
                proc.wait()
            bar.close()
        return [self.state.outcomes[s] for s in self.students]

    @staticmethod
    def _wait_any(running) -> tuple[int | None, object]:
        """The next grading that ended or overran: (pid, exit code or "timeout"), or (None, None)."""
        deadline = time.monotonic() + 0.5
        while time.monotonic() < deadline:
            for pid, (proc, _student, _attempt, began, _log) in running.items():
                if proc.poll() is not None:
                    return pid, proc.returncode
                if time.monotonic() - began > STUDENT_TIMEOUT:
                    proc.kill()
                    proc.wait()
                    return pid, "timeout"
            time.sleep(0.02)  # a scheduler's tick, not a wait for readiness
        return None, None


def grade(root: Path, assignment: str, *, students: list[str] | None = None, jobs: int = 0,
          force: bool = False, progress: bool = True) -> list[Outcome]:
    """Autograde ``assignment`` for ``students`` (default: every submission) in ``root``.

    Submissions already graded by an earlier (maybe interrupted) batch are kept
    unless ``force`` or named in ``students``.  Returns one Outcome per student.
    """
    root = Path(root).resolve()
    everyone = submitted_students(root, assignment)
    state = State(root, assignment)
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise KeyError(f"no submission of {assignment} from: {', '.join(unknown)}")
        todo = list(students)
    elif force:
        todo = everyone
    else:
        todo = [s for s in everyone if s not in state.outcomes or state.outcomes[s].status != "graded"]
    jobs = jobs or os.cpu_count() or 1
    if todo:
        Batch(root, assignment, todo, jobs, progress).run()
    state = State(root, assignment)
    return [state.outcomes[s] for s in everyone if s in state.outcomes]


def main(args: argparse.Namespace) -> int:
    outcomes = grade(Path(args.root), args.assignment, students=args.student, jobs=args.jobs,
                     force=args.force)
    width = max([len(o.student) for o in outcomes] + [7])
    for o in outcomes:
        note = f"  ({o.reason})" if o.reason else ""
        print(f"{o.student:<{width}}  {o.status:<6}  {o.seconds:6.1f}s{note}")
    return 0 if all(o.status == "graded" for o in outcomes) else 1
