"""A whole course round through nbgrader's exchange, with an instructor and students as Unix users.

docs/course.md's round, command for command: the instructor makes the course
(``python -m graders course init``) and releases the clock assignment; two
students fetch it, write their server in the answer cell, and submit; the
instructor collects; root autogrades with the parallel batch and gives the
files back; the instructor generates and releases feedback; the students fetch
it.  Every grade and feedback file is checked, and what each user can see.

Needs root (useradd, and running commands as other users): CI runs it as
root; elsewhere it is skipped with that reason.  Slow: about a minute.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

import course_users as users

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ASSIGNMENT = "clock"
COURSE_ID = "python-servers"
STUDENT_CASES = ("correct", "wrong_answer")  # examples/submissions/CASE/clock: the students' answers

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not users.is_root(), reason="needs root: creates Unix users (useradd) "
                                 "and runs nbgrader as each of them; CI runs it as root")]


def max_points(notebook: Path) -> float:
    """The sum of the points of the notebook's graded cells (the reference for a full score)."""
    nb = nbformat.read(notebook, as_version=4)
    return sum(float(c.metadata.get("nbgrader", {}).get("points", 0)) for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade"))


def answer_source(notebook: Path) -> str:
    """The answer cell's source (the nbgrader solution cell) of ``notebook``."""
    nb = nbformat.read(notebook, as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))


class Round:
    """The course, its users and what every step printed."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.course = base / "course"
        self.root = self.course / "instructor"
        self.exchange = base / "exchange"
        self.instructor = users.unique_name("gri")
        self.students = {users.unique_name("grs"): case for case in STUDENT_CASES}
        self.homes = {name: base / "home" / name for name in [self.instructor, *self.students]}
        self.log: list[str] = []

    def env(self, user: str) -> dict[str, str]:
        if user == self.instructor:
            return users.environment(user, self.homes[user])
        return users.environment(user, self.homes[user],
                                 JUPYTER_CONFIG_PATH=str(self.course / "student_config"))

    def run(self, user: str, *argv: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        cwd = cwd or (self.root if user == self.instructor else self.homes[user])
        done = users.run_as(user, list(argv), cwd=cwd, env=self.env(user))
        self.log.append(f"$ [{user}] {' '.join(argv)} -> {done.returncode}\n{done.stdout}{done.stderr}")
        if check and done.returncode != 0:
            raise AssertionError(f"[{user}] {' '.join(argv)} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def nbgrader(self, user: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(user, sys.executable, "-m", "nbgrader", *args, check=check)

    def each_student(self, step) -> list:
        with ThreadPoolExecutor(len(self.students)) as pool:
            return list(pool.map(step, self.students))


def play(r: Round) -> None:
    """The round of docs/course.md."""
    for name, home in r.homes.items():
        users.create_user(name, home)
    me = users.pwd.getpwnam(r.instructor)
    r.course.mkdir()
    os.chown(r.course, me.pw_uid, me.pw_gid)
    r.exchange.mkdir(mode=0o755)
    r.exchange.chmod(0o1777)  # the administrator makes the shared exchange, as nbgrader documents

    # instructor: the course, the assignment, the release
    r.run(r.instructor, sys.executable, "-m", "graders", "course", "init", str(r.course),
          "--exchange", str(r.exchange), cwd=r.homes[r.instructor])
    r.nbgrader(r.instructor, "generate_assignment", ASSIGNMENT)
    r.nbgrader(r.instructor, "release_assignment", ASSIGNMENT)

    # students: fetch, answer, submit
    def answer(student: str) -> None:
        r.nbgrader(student, "fetch_assignment", ASSIGNMENT)
        mine = r.homes[student] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        source = answer_source(EXAMPLES / "submissions" / r.students[student] / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        edit = ("import nbformat, sys; nb = nbformat.read(sys.argv[1], as_version=4); "
                "cell = next(c for c in nb.cells if c.metadata.get('nbgrader', {}).get('solution')); "
                "cell.source = sys.argv[2]; nbformat.write(nb, sys.argv[1])")
        r.run(student, sys.executable, "-c", edit, str(mine), source)
        r.nbgrader(student, "submit", ASSIGNMENT)
    r.each_student(answer)

    # instructor: collect; root: the parallel batch; instructor: feedback
    r.nbgrader(r.instructor, "collect", ASSIGNMENT)
    batch = subprocess.run([sys.executable, "-m", "graders", "autograde", ASSIGNMENT, "--root", str(r.root),
                            "--jobs", "2"], cwd=REPO, capture_output=True, text=True, timeout=300,
                           stdin=subprocess.DEVNULL)
    r.log.append(f"$ [root] python -m graders autograde -> {batch.returncode}\n{batch.stdout}{batch.stderr}")
    assert batch.returncode == 0, batch.stdout + batch.stderr
    subprocess.run(["chown", "-R", f"{r.instructor}:{r.instructor}", str(r.root)], check=True)
    r.nbgrader(r.instructor, "generate_feedback", ASSIGNMENT)
    r.nbgrader(r.instructor, "release_feedback", ASSIGNMENT)

    # students: their feedback
    r.each_student(lambda student: r.nbgrader(student, "fetch_feedback", ASSIGNMENT))


@pytest.fixture(scope="module")
def course_round():
    base = Path(tempfile.mkdtemp(prefix="graders-course-"))
    base.chmod(0o755)
    r = Round(base)
    try:
        play(r)
        yield r
    finally:
        for name in r.homes:
            users.remove_user(name)
        shutil.rmtree(base, ignore_errors=True)


def gradebook_scores(root: Path) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gb:
        return {s.student.id: (s.score, s.max_score) for s in gb.assignment_submissions(ASSIGNMENT)}


def test_every_student_gets_the_grade_their_answer_deserves(course_round):
    r = course_round
    scores = gradebook_scores(r.root)
    expected = json.loads((EXAMPLES / ASSIGNMENT / "expected.json").read_text())
    full = max_points(REPO / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert set(scores) == set(r.students), "\n".join(r.log)
    for student, case in r.students.items():
        score, top = scores[student]
        assert top == pytest.approx(full)
        assert score == pytest.approx(expected[case]["score"]), f"{student} ({case})"
    assert scores[next(s for s, c in r.students.items() if c == "correct")][0] == pytest.approx(full)


def test_every_step_left_its_files(course_round):
    r = course_round
    for student in r.students:
        assert (r.root / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
        assert (r.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
        assert (r.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    outbound = r.exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    released = nbformat.read(outbound, as_version=4)
    assert "### BEGIN SOLUTION" not in json.dumps(released.cells)
    assert "BEGIN HIDDEN TESTS" not in json.dumps(released.cells)


def test_each_student_fetches_their_own_feedback(course_round):
    r = course_round
    for student, case in r.students.items():
        fetched = list((r.homes[student] / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert len(fetched) == 1, f"{student}: {fetched}\n" + "\n".join(r.log)
        page = fetched[0].read_text()
        assert page == (r.root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert 'check("clock", "several_clients")' not in page  # hidden test code stays hidden
        assert "What is the time?" in page  # the transcripts are there
        if case == "wrong_answer":
            assert "did not get a time.ctime() text" in page  # what failed, for the student


def test_modes_are_those_nbgrader_documents(course_round):
    r = course_round
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(r.exchange) == 0o1777
    assert mode(r.exchange / COURSE_ID / "inbound") & 0o007 == 0o003  # others may write, not list
    assert mode(r.exchange / COURSE_ID / "feedback") & 0o007 == 0o001  # others may only pass through
    assert mode(r.root) == 0o700


def test_a_student_sees_neither_the_gradebook_nor_other_submissions(course_round):
    r = course_round
    student = next(iter(r.students))
    for target in (r.root, r.exchange / COURSE_ID / "inbound", r.exchange / COURSE_ID / "feedback"):
        done = r.run(student, "ls", str(target), check=False)
        assert done.returncode != 0 and "Permission denied" in done.stderr, target
    done = r.run(student, "cat", str(r.root / "gradebook.db"), check=False)
    assert done.returncode != 0
