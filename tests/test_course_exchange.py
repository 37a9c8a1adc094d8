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

import http.client
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

import course_users as users
from conftest import wait_until

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ASSIGNMENT = "clock"
COURSE_ID = "python-servers"
STUDENT_CASES = ("correct", "wrong_answer")  # examples/submissions/CASE/clock: the students' answers

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900),  # ~15 nbgrader runs; minutes on a loaded machine
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
        self.autograded: dict[str, tuple[float, float]] = {}  # the gradebook's scores just after autograde

    def env(self, user: str) -> dict[str, str]:
        if user == self.instructor:
            return users.environment(user, self.homes[user])
        return users.environment(user, self.homes[user],
                                 JUPYTER_CONFIG_PATH=str(self.course / "student_config"))

    def run(self, user: str, *argv: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        cwd = cwd or (self.root if user == self.instructor else self.homes[user])
        began = time.monotonic()
        plan = None if user == self.instructor else self.student_plan()
        done = users.run_as(user, list(argv), cwd=cwd, env=self.env(user), timeout=300, plan=plan)
        self.log.append(f"$ [{user}] {' '.join(argv[:4])} -> {done.returncode} "
                        f"({time.monotonic() - began:.1f} s)\n{done.stdout}{done.stderr}")
        if check and done.returncode != 0:
            raise AssertionError(f"[{user}] {' '.join(argv)} failed ({done.returncode}):\n"
                                 f"{done.stdout}\n{done.stderr}")
        return done

    def student_plan(self) -> dict | None:
        """A student's mounts (the course's student view), once ``course init`` has written it."""
        from graders.course.admin import Course
        course = Course(self.course)
        return course.student_plan() if course.student_view.is_dir() else None

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
    # (--private-python: this test's Python may be pyenv's under /root; course_users opens the way to it)
    roster = r.base / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(
        f"{name},{case.replace('_', '')},Student{i},{name}@example.org\n"
        for i, (name, case) in enumerate(r.students.items())))
    r.run(r.instructor, sys.executable, "-m", "graders", "course", "init", str(r.course),
          "--exchange", str(r.exchange), "--roster", str(roster), "--private-python", cwd=r.homes[r.instructor])
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
    # The batch gave what it wrote (as root) back to the owner of the course root: no chown -R.
    me = users.pwd.getpwnam(r.instructor).pw_uid
    rooted = [str(p) for p in [r.root, *r.root.rglob("*")] if p.lstat().st_uid != me]
    assert not rooted, f"left to root by the batch: {rooted[:10]}"
    r.autograded = gradebook_scores(r.root)
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
    scores = r.autograded
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


# --- item 6: the hidden checks stay hidden from a course's students ------------------------------------

LIST_CHECKS = ("import json; from graders import assignments; "
               "print(json.dumps({n: sorted(c.name for c in assignments.get(n).checks.values()) "
               "for n in assignments.NAMES}))")


def test_a_student_runs_the_visible_checks_but_can_neither_read_nor_run_the_hidden_ones(course_round):
    from graders import assignments
    r = course_round
    student = next(s for s, case in r.students.items() if case == "correct")
    full = {n: assignments.get(n) for n in assignments.NAMES}
    visible = {n: sorted(c.name for c in a.checks.values() if not c.hidden) for n, a in full.items()}
    hidden = {n: sorted(c.name for c in a.checks.values() if c.hidden) for n, a in full.items()}
    assert all(hidden.values())

    # the instructor has every check; a student imports only the visible ones
    mine = json.loads(r.run(r.instructor, sys.executable, "-c", LIST_CHECKS).stdout)
    assert mine == {n: sorted(a.checks) for n, a in full.items()}
    theirs = json.loads(r.run(student, sys.executable, "-c", LIST_CHECKS).stdout)
    assert theirs == visible

    # nor can the student read them, the solutions, the example servers or the history
    for name in assignments.NAMES:
        text = r.run(student, "cat", str(REPO / "graders" / "assignments" / f"{name}.py")).stdout
        assert text and not any(f"def {check}(" in text for check in hidden[name]), name
    for folder in ("solutions", "examples", "tests", ".git"):
        if (REPO / folder).is_dir():
            assert r.run(student, "ls", "-A", str(REPO / folder)).stdout == "", folder

    # the self-check's command runs the visible checks on the student's own server, and passes
    server = r.homes[student] / "clock_server.py"
    shutil.copy(EXAMPLES / ASSIGNMENT / "correct.py", server)
    os.chown(server, *(lambda e: (e.pw_uid, e.pw_gid))(users.pwd.getpwnam(student)))
    done = r.run(student, sys.executable, "-m", "graders", "check", ASSIGNMENT, str(server), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    for check in visible[ASSIGNMENT]:
        assert full[ASSIGNMENT].checks[check].description in done.stdout, check
    for check in hidden[ASSIGNMENT]:
        assert full[ASSIGNMENT].checks[check].description not in done.stdout, check


# --- item 1: the instructor's Formgrader on this course, as `make course` starts it -----------------

class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over the Jupyter server's Unix socket (no TCP port to find or to leak)."""

    def __init__(self, path: Path, timeout: float = 60) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


class Server:
    """The instructor's Jupyter server (course_admin.lab_command's settings), run as the instructor."""

    TOKEN = "formgrader-test"

    def __init__(self, r: Round) -> None:
        from graders.course.admin import Course, lab_command
        self.sock = r.homes[r.instructor] / "jupyter.sock"
        argv, _env, cwd = lab_command(Course(r.course), f"--ServerApp.sock={self.sock}",
                                      f"--IdentityProvider.token={self.TOKEN}", "--no-browser")
        argv = [sys.executable, "-m", "jupyter", "server", *argv[4:]]  # the server JupyterLab runs on
        self.process = subprocess.Popen(users.spawn_argv(r.instructor, argv, cwd=cwd), env=r.env(r.instructor),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        stdin=subprocess.DEVNULL)
        self.log: list[str] = []
        ready = threading.Event()

        def read() -> None:
            for line in self.process.stderr:
                self.log.append(line)
                if "is running at" in line:
                    ready.set()
            ready.set()
        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        # the server logs "is running at" before its event loop binds the socket: wait for both
        if not (ready.wait(120) and wait_until(self.accepting, 60, 0.05)) or self.process.poll() is not None:
            self.close()
            raise AssertionError("the Jupyter server did not start:\n" + "".join(self.log))

    def accepting(self) -> bool:
        if self.process.poll() is not None:
            return True  # it died: say so at once
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.sock))
                return True
            except OSError:
                return False

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str]:
        connection = UnixHTTPConnection(self.sock)
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None,
                               headers={"Authorization": f"token {self.TOKEN}"})
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def json(self, method: str, path: str, body: dict | None = None):
        status, text = self.request(method, path, body)
        assert status == 200, f"{method} {path}: {status}\n{text[:2000]}\n" + "".join(self.log[-30:])
        return json.loads(text)

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
        self.reader.join(timeout=10)


def test_formgrader_shows_the_submissions_opens_them_and_takes_a_manual_grade(course_round):
    r = course_round
    wrong = next(s for s, c in r.students.items() if c == "wrong_answer")
    server = Server(r)
    try:
        # the assignment, its two submissions and the autograder's scores
        assignments = {a["name"]: a for a in server.json("GET", "/formgrader/api/assignments")}
        assert assignments[ASSIGNMENT]["num_submissions"] == len(r.students)
        submissions = {s["student"]: s for s in server.json("GET", f"/formgrader/api/submissions/{ASSIGNMENT}")}
        assert {s: (v["score"], v["max_score"]) for s, v in submissions.items()} == r.autograded
        # Manage Students shows the roster's names (course init --roster)
        people = {s["id"]: (s["first_name"], s["last_name"]) for s in server.json("GET", "/formgrader/api/students")}
        assert all(people[student] == (case.replace("_", ""), f"Student{i}")
                   for i, (student, case) in enumerate(r.students.items())), people
        # only the four graded assignments, not the lecture notebooks
        assert sorted(assignments) == ["clock", "secret_number", "secret_word", "swap"], sorted(assignments)

        # every page and link of Formgrader opens (the course root is JupyterLab's root)
        status, page = server.request("GET", "/formgrader/manage_assignments")
        assert status == 200 and "not a subdirectory" not in page
        for path in [f"source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb", f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                     f"submitted/{wrong}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                     f"autograded/{wrong}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                     f"feedback/{wrong}/{ASSIGNMENT}/{ASSIGNMENT}.html"]:
            status, text = server.request("GET", f"/api/contents/{path}?content=0")
            assert status == 200, f"{path}: {status} {text[:300]}"

        # manual grading: the grading page of the wrong answer, then a grade and a comment through its API
        notebooks = server.json("GET", f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
        mine = next(n for n in notebooks if n["student"] == wrong)
        status, page = server.request("GET", f"/formgrader/submissions/{mine['id']}/")
        assert status == 200 and "What is the time?" in page
        grades = server.json("GET", f"/formgrader/api/grades?submission_id={mine['id']}")
        failed = next(g for g in grades if g["name"] == "test_answers_question")
        assert failed["auto_score"] == 0
        server.json("PUT", f"/formgrader/api/grade/{failed['id']}", {"manual_score": failed["max_score"]})
        comments = server.json("GET", f"/formgrader/api/comments?submission_id={mine['id']}")
        server.json("PUT", f"/formgrader/api/comment/{comments[0]['id']}",
                    {"manual_comment": "Regraded by hand: see the transcript."})
        submissions = {s["student"]: s for s in server.json("GET", f"/formgrader/api/submissions/{ASSIGNMENT}")}
        assert submissions[wrong]["score"] == pytest.approx(r.autograded[wrong][0] + failed["max_score"])
    finally:
        server.close()

    # the feedback and the exports carry the manual grade
    r.nbgrader(r.instructor, "generate_feedback", ASSIGNMENT, "--force")
    page = (r.root / "feedback" / wrong / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "Regraded by hand" in page
    r.run(r.instructor, sys.executable, "-m", "graders", "export", ASSIGNMENT)
    check_exports(r, manual={wrong: ("test_answers_question", failed["max_score"])})


def check_exports(r: Round, manual: dict) -> None:
    """exports/grades.csv and exports/gradescope/clock/STUDENT/results.json agree with the gradebook."""
    import csv

    import jsonschema

    from graders.reports.gradescope import SCHEMA
    scores = gradebook_scores(r.root)
    with open(r.root / "exports" / "grades.csv", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT}
    assert set(rows) == set(r.students)
    for i, (student, case) in enumerate(r.students.items()):  # the roster's names (course init --roster)
        assert (rows[student]["first_name"], rows[student]["last_name"]) == (case.replace("_", ""), f"Student{i}")
    for student in r.students:
        assert float(rows[student]["score"]) == pytest.approx(scores[student][0])
        results = json.loads((r.root / "exports" / "gradescope" / ASSIGNMENT / student / "results.json").read_text())
        jsonschema.validate(results, SCHEMA)
        assert results["score"] == pytest.approx(scores[student][0])
        assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(scores[student][1])
        assert sum(t["score"] for t in results["tests"]) == pytest.approx(scores[student][0])
        if student in manual:
            grade_id, score = manual[student]
            test = next(t for t in results["tests"] if t["extra_data"]["grade_id"] == grade_id)
            assert test["score"] == score and test["extra_data"]["manual_score"] == score
            assert "What is the time?" in test["output"]  # the autograder's transcript is kept
