"""The course on a real JupyterHub (graders/course/hub.py, ``make hub``).

A real hub on 127.0.0.1 (free ports) behind configurable-http-proxy, with two
local Unix users this test creates (useradd, chpasswd; removed at the end): an
instructor and a student.  Both log in over HTTP with their passwords (PAM),
their JupyterLab servers start as themselves, and a course round runs through
those servers' HTTP APIs, as the nbgrader lab extensions call them:
Formgrader generates and releases ``clock``; the student's *Assignments* tab
fetches it, the student saves an answer and submits; Formgrader collects.

Needs root (system users, and the hub starts each server as its user): skipped
with that reason otherwise.  CI runs as root.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest

httpx = pytest.importorskip("httpx")
pytest.importorskip("jupyterhub", reason="the hub extra: pip install -e '.[hub]'")

import course_users  # noqa: E402
from graders.course import admin as course_admin  # noqa: E402
from graders.course import hub as course_hub

REPO = Path(__file__).resolve().parent.parent
CORRECT = REPO / "examples" / "clock" / "correct.py"
START_DEADLINE = 120.0  # seconds for the hub, or one user's server, to come up

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="creates Unix users and spawns servers as them: needs root"),
    pytest.mark.skipif(sys.platform != "linux", reason="local system users: Linux"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.25):
    """Call ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class UnixUser:
    """A local user made for this test, with a password; removed with its home."""

    def __init__(self, role: str):
        self.name = f"wb{role}{secrets.token_hex(3)}"
        self.password = secrets.token_urlsafe(12)
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", self.name], check=True)
        subprocess.run(["chpasswd"], input=f"{self.name}:{self.password}\n", text=True, check=True)
        self.uid = pwd.getpwnam(self.name).pw_uid

    def remove(self) -> None:
        subprocess.run(["userdel", "--remove", self.name], capture_output=True)


@pytest.fixture(scope="module")
def users():
    made = []
    try:
        made.append(UnixUser("teach"))
        made.append(UnixUser("stud"))
        yield made
    finally:
        for user in made:
            user.remove()


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """SIGTERM the hub (it stops the users' servers and the proxy), then wait; SIGKILL the rest."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    for child in psutil.Process().children(recursive=True):
        if child.pid == process.pid or _started_by(child, process):
            child.kill()
    if process.poll() is None:
        process.kill()
        process.wait()


def _started_by(child: psutil.Process, process: subprocess.Popen) -> bool:
    try:
        return any(p.pid == process.pid for p in child.parents())
    except psutil.Error:
        return False


@pytest.fixture
def course_dir():
    """A folder every user may enter (pytest's tmp_path is root's alone); removed at the end."""
    path = Path(tempfile.mkdtemp(prefix="wb-hub-course-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def running_hub(course_dir, users):
    teacher, student = users
    course = course_admin.init(course_dir / "course")
    hub = course_hub.Hub(course, (teacher.name,), (student.name,), port=free_port(),
                         hub_port=free_port(), proxy_api_port=free_port())
    course_hub.prepare(hub)
    log = open(hub.state / "jupyterhub.log", "w")
    process = subprocess.Popen(hub.command(), cwd=hub.state, env=hub.environment(),
                               stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        def up():
            if process.poll() is not None:
                pytest.fail("the hub exited:\n" + (hub.state / "jupyterhub.log").read_text()[-3000:])
            try:
                return httpx.get(f"{hub.url}/hub/api/", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False
        wait_for(up, START_DEADLINE, "the hub to answer")
        yield hub, course, teacher, student
    finally:
        stop(process)
        log.close()
        print((hub.state / "jupyterhub.log").read_text()[-4000:])


class Session:
    """One person in a browser: logs in to the hub, starts their server, calls its API."""

    def __init__(self, hub: course_hub.Hub, user: UnixUser):
        self.user = user
        self.http = httpx.Client(base_url=hub.url, follow_redirects=True, timeout=90)
        page = self.http.get("/hub/login")
        page.raise_for_status()
        response = self.http.post("/hub/login", data={
            "username": user.name, "password": user.password,
            "_xsrf": self.http.cookies.get("_xsrf", path="/hub/") or ""})
        assert response.status_code == 200, response.text[-2000:]
        assert "/hub/login" not in str(response.url), f"{user.name} could not log in: {response.url}"
        self.prefix = f"/user/{user.name}"

        def lab_open():
            r = self.http.get(f"{self.prefix}/lab")
            return r if r.status_code == 200 and r.url.path.startswith(f"{self.prefix}/lab") else None
        wait_for(lab_open, START_DEADLINE, f"{user.name}'s JupyterLab to start")
        self.xsrf = self.http.cookies.get("_xsrf", path=f"{self.prefix}/")

    def get(self, path: str, **kw) -> httpx.Response:
        r = self.http.get(self.prefix + path, **kw)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[-2000:]}"
        return r

    def send(self, method: str, path: str, **kw) -> httpx.Response:
        r = self.http.request(method, self.prefix + path, headers={"X-XSRFToken": self.xsrf or ""}, **kw)
        assert r.status_code in (200, 201, 204), f"{method} {path}: {r.status_code} {r.text[-2000:]}"
        return r

    def close(self):
        self.http.close()


def test_a_course_round_on_jupyterhub(running_hub):
    hub, course, teacher, student = running_hub
    instructor = Session(hub, teacher)
    learner = Session(hub, student)
    try:
        # Each JupyterLab runs as its own Unix user.
        owners = {p.username() for p in psutil.process_iter() if "jupyterhub-singleuser" in " ".join(
            _cmdline(p))}
        assert {teacher.name, student.name} <= owners

        # The student's JupyterLab (and every kernel it starts) sees the student view: no hidden
        # checks, no solutions; the instructor's sees everything (read through /proc/PID/root).
        seen = {}
        for p in psutil.process_iter():
            if "jupyterhub-singleuser" in " ".join(_cmdline(p)):
                root = Path(f"/proc/{p.pid}/root")
                checks = (root / str(REPO / "graders/assignments/clock.py").lstrip("/")).read_text()
                solutions = sorted(os.listdir(root / str(REPO / "solutions").lstrip("/")))
                seen[p.username()] = ("def several_clients(" in checks, "def answers_question(" in checks,
                                      solutions)
        assert seen[student.name] == (False, True, [])
        assert seen[teacher.name][:2] == (True, True) and "clock" in seen[teacher.name][2]

        # The student's JupyterLab terminal starts with this environment first on PATH (graders/
        # lab_config.py and terminal.bashrc, as under `make lab`): `graders check ...` works there.
        learner.send("POST", "/api/terminals")
        shells = wait_for(lambda: [p for p in psutil.process_iter(["username"]) if p.info["username"] ==
                                   student.name and "terminal.bashrc" in " ".join(_cmdline(p))],
                          START_DEADLINE, f"{student.name}'s terminal")
        assert shells[0].environ().get("GRADERS_BIN") == str(Path(sys.executable).parent)

        # The instructor's Formgrader works the first time, and the student has none.
        assert instructor.get("/formgrader/api/assignments").json() is not None
        # JupyterLab may frame Formgrader (its own origin), and nothing else may frame either server.
        for session in (instructor, learner):
            policy = session.get("/lab").headers["Content-Security-Policy"]
            assert policy == "frame-ancestors 'self'", policy
        # Formgrader's links (assignment folders, Preview, live notebook) lead to Lab's pages under
        # the user's prefix, and those pages exist.
        utils = instructor.get("/formgrader/static/js/utils.js").text
        assert '"/lab/tree/"' in utils and '"/tree/"' not in utils
        assert instructor.http.get(f"{instructor.prefix}/lab/tree/source/clock").status_code == 200

        # A terminal opened at the file browser's top ("cwd": "", as Lab asks): the instructor's at
        # the course root, the student's in their home, both with the course's environment on PATH.
        home = Path(pwd.getpwnam(student.name).pw_dir)
        for session, folder in ((instructor, course.root), (learner, home)):
            name = session.send("POST", "/api/terminals", json={"cwd": ""}).json()["name"]
            shell = wait_for(lambda: _terminal_shell(session.user.name), 30, "the terminal's shell")
            assert Path(shell.cwd()) == folder
            assert shell.environ()["PATH"].split(os.pathsep)[0] == str(course_hub.VENV_BIN)
            assert "-l" not in shell.cmdline() and "--login" not in shell.cmdline()
            session.send("DELETE", f"/api/terminals/{name}")
        assert learner.http.get(f"{learner.prefix}/formgrader/api/assignments").status_code == 404

        # Formgrader: generate, then release to the exchange.
        assert instructor.send("POST", "/formgrader/api/assignment/clock/assign").json()["success"]
        released = instructor.send("POST", "/formgrader/api/assignment/clock/release").json()
        assert released["success"], released

        # The student's Assignments tab lists it and fetches it into their home.
        listing = learner.get("/assignments", params={"course_id": course_admin.COURSE_ID}).json()
        assert listing["success"], listing
        assert [a["assignment_id"] for a in listing["value"]] == ["clock"]
        learner.send("POST", "/assignments/fetch",
                     data={"course_id": course_admin.COURSE_ID, "assignment_id": "clock"})
        home = Path(pwd.getpwnam(student.name).pw_dir)
        fetched = home / "clock" / "clock.ipynb"
        assert fetched.is_file() and fetched.stat().st_uid == student.uid

        # They answer (the contents API, as JupyterLab saves) and submit.
        model = learner.get("/api/contents/clock/clock.ipynb").json()
        cells = model["content"]["cells"]
        answer = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("solution"))
        answer["source"] = "%%writefile clock_server.py\n" + CORRECT.read_text()
        learner.send("PUT", "/api/contents/clock/clock.ipynb",
                     json={"type": "notebook", "format": "json", "content": model["content"]})
        submitted = learner.send("POST", "/assignments/submit", data={
            "course_id": course_admin.COURSE_ID, "assignment_id": "clock"}).json()
        assert submitted["success"], submitted
        inbound = course.exchange() / course_admin.COURSE_ID / "inbound"
        handed_in = [p for p in inbound.iterdir() if p.name.startswith(f"{student.name}+clock+")]
        assert len(handed_in) == 1 and handed_in[0].stat().st_uid == student.uid

        # Formgrader collects: the submission, as the student wrote it, owned by the instructor.
        collected = instructor.send("POST", "/formgrader/api/assignment/clock/collect").json()
        assert collected["success"], collected
        copy = course.root / "submitted" / student.name / "clock" / "clock.ipynb"
        assert copy.is_file() and copy.stat().st_uid == teacher.uid
        assert CORRECT.read_text().splitlines()[1] in copy.read_text()
        submissions = instructor.get("/formgrader/api/submissions/clock").json()
        assert [s["student"] for s in submissions] == [student.name]

        # Formgrader's autograde button: the batch, run as root by the course's autograde service
        # (the sandboxes get their own uids), its files given back to the instructor.
        assert hub.autograde_socket.is_socket()
        servers = {p.username(): p for p in psutil.process_iter() if "jupyterhub-singleuser" in " ".join(_cmdline(p))}
        assert servers[teacher.name].environ().get("GRADERS_AUTOGRADE_SOCKET") == str(hub.autograde_socket)
        assert "GRADERS_AUTOGRADE_SOCKET" not in servers[student.name].environ()
        graded = instructor.send("POST", f"/formgrader/api/submission/clock/{student.name}/autograde",
                                 timeout=600).json()
        assert graded["success"], graded
        notebook = course.root / "autograded" / student.name / "clock" / "clock.ipynb"
        log = course.root / ".graders" / "logs" / "clock" / f"{student.name}.log"
        assert notebook.is_file() and log.is_file()
        assert {p.stat().st_uid for p in (notebook, log, course.root / "gradebook.db")} == {teacher.uid}
        scores = {s["student"]: s["score"] for s in instructor.get("/formgrader/api/submissions/clock").json()}
        assert scores[student.name] == 10, scores
        # The batch afterwards keeps what the button graded (--force would grade it again).
        stamp = log.stat().st_mtime_ns
        batch = subprocess.run([sys.executable, "-m", "graders", "autograde", "clock", "--root", str(course.root)],
                               cwd=REPO, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert batch.returncode == 0 and "already graded" in batch.stderr, batch.stdout + batch.stderr
        assert log.stat().st_mtime_ns == stamp
        # A student may not use the service.
        from graders.course import autograde_service
        asked = subprocess.run(course_users.spawn_argv(student.name, [sys.executable, "-c", (
            "import sys, json; from graders.course import autograde_service as s; "
            f"print(json.dumps(s.ask({str(hub.autograde_socket)!r}, 'clock', {student.name!r}, 60)))")],
            cwd=Path("/")), capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
            env=course_users.environment(student.name, Path(pwd.getpwnam(student.name).pw_dir)))
        answer = json.loads(asked.stdout.strip().splitlines()[-1]) if asked.returncode == 0 else None
        assert answer is not None and not answer["success"] and "may not autograde" in answer["error"], \
            (asked.stdout, asked.stderr)
        assert autograde_service.NAME.match("clock") and not autograde_service.NAME.match("../x")
    finally:
        instructor.close()
        learner.close()


def _terminal_shell(user: str) -> psutil.Process | None:
    """The shell of ``user``'s terminal: a child of their jupyterhub-singleuser, other than a kernel."""
    for p in psutil.process_iter():
        if "jupyterhub-singleuser" in " ".join(_cmdline(p)) and p.username() == user:
            for child in p.children():
                if child.name() in ("bash", "sh"):
                    return child
    return None


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []
