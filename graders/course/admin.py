"""An instructor's nbgrader course outside the repository: ``python -m graders course init``.

The repository is the self-study workbook (``notebooks/``, everything
readable).  A *course* is a separate directory an instructor runs a class
from, laid out as docs/course.md describes::

    DIR/                         python -m graders course init DIR   (make course: build/course)
    ├── instructor/              the course root: nbgrader's CourseDirectory.root, JupyterLab's root
    │   ├── nbgrader_config.py   loads the repository's nbgrader_config.py, then sets the paths below
    │   ├── source/NAME -> REPO/solutions/NAME   nbgrader's source directory: a link per graded
    │   │                        assignment (clock, swap, secret_number, secret_word), not the lectures
    │   ├── release/             generate_assignment's output (never the repository's notebooks/)
    │   ├── gradebook.db         created and migrated (``nbgrader db upgrade``)
    │   └── submitted/ autograded/ feedback/ exports/   filled by the course round
    ├── exchange/                nbgrader's exchange (c.Exchange.root), mode 1777
    ├── student_config/nbgrader_config.py   what a student's nbgrader needs: the course id and
    │                            the exchange (put the folder on JUPYTER_CONFIG_PATH, or copy the
    │                            file to /etc/jupyter/ on a shared server)
    └── student_view/            graders/assignments/ without the hidden checks: what a student's
                                 JupyterLab on the course hub sees (graders/course/student_view.py)

``--exchange PATH`` puts the exchange elsewhere (e.g. ``/srv/nbgrader/exchange``
on a shared server, as nbgrader's "shared server" set-up does).  Source:
nbgrader documentation, "Managing assignment files" and "Setting up nbgrader
for a shared server"; the exchange's modes are those nbgrader's
``ExchangeReleaseAssignment`` sets (root 0777, here with the sticky bit as
for /tmp, so a user can remove only their own files).
"""
from __future__ import annotations

import argparse
import os
import shlex
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from graders.course.paths import REPO, SOLUTIONS, environment

COURSE_ID = "python-servers"
EXCHANGE_MODE = 0o1777  # world-writable with the sticky bit (like /tmp)


@dataclass(frozen=True)
class Course:
    """The paths of a course made by :func:`init` (all absolute)."""

    base: Path

    @property
    def root(self) -> Path:
        """The instructor's course root (CourseDirectory.root)."""
        return self.base / "instructor"

    @property
    def student_view(self) -> Path:
        """The students' copy of graders/assignments/ without the hidden checks (graders.course.student_view)."""
        return self.base / "student_view"

    def student_plan(self) -> dict:
        """The mounts of a student's namespace: the student view, no solutions (graders.course.student_view)."""
        from graders.course import student_view
        return student_view.mount_plan(self.student_view)

    @property
    def jupyter_config(self) -> Path:
        """The Jupyter config folder every course server has on JUPYTER_CONFIG_PATH (graders.course.lab_server)."""
        return self.base / "jupyter"

    @property
    def student_jupyter(self) -> Path:
        """The Jupyter config folder that switches nbgrader's instructor extensions off for students."""
        return self.base / "student_jupyter"

    def student_config_path(self) -> str:
        """A student's JUPYTER_CONFIG_PATH: the course's server extension, no instructor pieces, the exchange."""
        return os.pathsep.join([str(self.jupyter_config), str(self.student_jupyter), str(self.student_config)])

    @property
    def student_config(self) -> Path:
        """The folder holding the students' nbgrader_config.py (for JUPYTER_CONFIG_PATH)."""
        return self.base / "student_config"

    def exchange(self) -> Path:
        """The exchange root recorded in the student config (may be outside ``base``)."""
        marker = self.base / "exchange.path"
        return Path(marker.read_text().strip()) if marker.exists() else self.base / "exchange"


# nbgrader's instructor pieces a student's JupyterLab does without (nbgrader's "Installation":
# disabling the instructor extensions for students).
STUDENT_SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}}}
STUDENT_PAGE_CONFIG = {"disabledExtensions": {
    "@jupyter/nbgrader:formgrader": True,
    "@jupyter/nbgrader:course-list": True,
    "@jupyter/nbgrader:create-assignment": True,
}}

INSTRUCTOR_CONFIG = '''\
"""nbgrader configuration of this course (written by `python -m graders course init`).

It loads the workbook's own configuration (the autograding plug-ins) from the
repository, then points nbgrader at this course: its root is this folder,
source/ links to the repository's solutions/, release/ is generated here.
"""
c = get_config()  # noqa: F821 - provided by traitlets
load_subconfig({repo_config!r})  # noqa: F821

c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.Exchange.root = {exchange!r}
'''

STUDENT_CONFIG = '''\
"""A student's nbgrader configuration for the course {course_id!r}.

Put this folder on JUPYTER_CONFIG_PATH, or copy this file to /etc/jupyter/
(every user) or ~/.jupyter/ (one user).  It names the course and the exchange
only: nothing here reads the instructor's files.
"""
c = get_config()  # noqa: F821 - provided by traitlets
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
'''


def write_student_jupyter(folder: Path) -> None:
    """The students' Jupyter config: Formgrader, the course list and *Create Assignment* off (all readable)."""
    import json
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "jupyter_server_config.json").write_text(json.dumps(STUDENT_SERVER_CONFIG, indent=2) + "\n")
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(STUDENT_PAGE_CONFIG, indent=2) + "\n")
    for path, dirs, files in os.walk(folder):
        os.chmod(path, 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)


def assignments() -> list[str]:
    """The graded assignments: the folders of solutions/ that graders/assignments/ has checks for.

    The lecture notebooks (01_sockets ... 05_beyond) are not among them.
    """
    checks = {p.stem for p in (REPO / "graders" / "assignments").glob("*.py") if p.stem != "__init__"}
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and p.name in checks)


def link_sources(source: Path) -> None:
    """Make ``source`` a folder of links, one per graded assignment, to its folder in solutions/.

    Formgrader lists every folder of the source directory as an assignment;
    so the lecture notebooks of solutions/ stay out.  A ``source`` that is
    the older layout's single link to solutions/ is replaced.  Raises
    FileExistsError when ``source/NAME`` exists and is not a link.
    """
    if source.is_symlink():
        source.unlink()
    source.mkdir(exist_ok=True)
    wanted = {name: SOLUTIONS / name for name in assignments()}
    for entry in source.iterdir():
        if entry.is_symlink() and entry.name not in wanted:
            entry.unlink()  # a link this function made for an assignment that is gone
    for name, target in wanted.items():
        link = source / name
        if link.is_symlink() and Path(os.readlink(link)) != target:
            link.unlink()
        if not link.is_symlink():
            if link.exists():
                raise FileExistsError(f"{link} exists and is not a link to {target}")
            link.symlink_to(target, target_is_directory=True)


def import_roster(course: "Course", roster: Path, timeout: float = 120) -> int:
    """Add or update the students of ``roster`` in the gradebook; returns how many rows it has.

    ``roster`` is a CSV file with the columns of nbgrader's ``db student
    import``: ``id`` (the student's login), ``first_name``, ``last_name``,
    ``email`` (other columns are ignored).  Runs ``nbgrader db student
    import``.  Raises ValueError when there is no ``id`` column,
    FileNotFoundError when the file is missing, subprocess.CalledProcessError
    when nbgrader fails.
    """
    import csv
    roster = Path(roster).resolve()
    with open(roster, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = [c.strip() for c in reader.fieldnames or []]
        if "id" not in columns:
            raise ValueError(f"{roster}: no 'id' column (the columns are id, first_name, last_name, email; "
                             f"found {', '.join(columns) or 'none'})")
        rows = sum(1 for _ in reader)
    run_nbgrader(course, "db", "student", "import", str(roster), timeout=timeout)
    return rows


def init(base: Path, *, exchange: Path | None = None, timeout: float = 120) -> Course:
    """Create (or bring up to date) the course in ``base``; idempotent.

    Writes both configurations, links each graded assignment of solutions/
    into ``source/`` (:func:`link_sources`), makes the
    exchange (mode 1777) and creates and migrates ``gradebook.db`` with
    ``nbgrader db upgrade`` (which runs ``alembic``: this Python's bin/ is put
    on PATH).  Raises subprocess.CalledProcessError when nbgrader fails,
    FileExistsError when ``source/NAME`` exists and is not a link to solutions/.
    """
    course = Course(Path(base).resolve())
    root = course.root
    exchange = Path(exchange).resolve() if exchange else course.base / "exchange"
    root.mkdir(parents=True, exist_ok=True)
    course.base.chmod(0o755)  # students (and a hub) pass through DIR/ to the exchange and their config
    root.chmod(0o700)  # the gradebook, submissions and feedback are the instructor's alone
    link_sources(root / "source")
    (root / "release").mkdir(exist_ok=True)
    (root / "nbgrader_config.py").write_text(INSTRUCTOR_CONFIG.format(
        repo_config=str(REPO / "nbgrader_config.py"), course_id=COURSE_ID, root=str(root),
        exchange=str(exchange)))
    exchange.mkdir(parents=True, exist_ok=True)
    if stat.S_IMODE(exchange.stat().st_mode) != EXCHANGE_MODE:
        try:
            exchange.chmod(EXCHANGE_MODE)
        except PermissionError:  # an exchange the administrator made (e.g. /srv/nbgrader/exchange)
            raise PermissionError(f"the exchange {exchange} must have mode 1777 (world-writable, sticky): "
                                  f"ask its owner to run chmod 1777 {exchange}") from None
    (course.base / "exchange.path").write_text(f"{exchange}\n")
    course.student_config.mkdir(exist_ok=True)
    (course.student_config / "nbgrader_config.py").write_text(
        STUDENT_CONFIG.format(course_id=COURSE_ID, exchange=str(exchange)))
    for path in (course.student_config, course.student_config / "nbgrader_config.py"):
        path.chmod(path.stat().st_mode | stat.S_IRGRP | stat.S_IROTH
                   | (stat.S_IXGRP | stat.S_IXOTH if path.is_dir() else 0))
    from graders.course import lab_server, student_view
    student_view.write(course.student_view)
    lab_server.write_config(course.jupyter_config)
    write_student_jupyter(course.student_jupyter)
    migrate_gradebook(root / "gradebook.db")
    return course


def closed_to_others(path: str | os.PathLike) -> tuple[Path, int] | None:
    """The first folder or file on the way to ``path`` (its real path) that other users cannot use.

    Returns ``(that path, its mode)``, or None when every user may reach it:
    each folder on the way searchable by others (``o+x``), and ``path`` itself
    usable by them (a folder ``o+rx``, an executable ``o+x``, another file
    ``o+r``).  "Others" are users neither owning it nor in its group, as a
    course's students are.  Source: path_resolution(7).
    """
    real = Path(os.path.realpath(path))
    for ancestor in [*reversed(real.parents)]:
        mode = stat.S_IMODE(ancestor.stat().st_mode)
        if not mode & stat.S_IXOTH:
            return ancestor, mode
    mode = stat.S_IMODE(real.stat().st_mode)
    if real.is_dir():
        needed = stat.S_IROTH | stat.S_IXOTH
    elif mode & stat.S_IXUSR:
        needed = stat.S_IXOTH
    else:
        needed = stat.S_IROTH
    return None if mode & needed == needed else (real, mode)


def _shared_python() -> str | None:
    """A Python 3.11+ of the system every user can run (for the advice of :func:`environment_problem`)."""
    for folder in ("/usr/bin", "/usr/local/bin", "/opt/python/bin"):
        for minor in (14, 13, 12, 11):
            candidate = Path(folder) / f"python3.{minor}"
            if candidate.exists() and closed_to_others(candidate) is None:
                return str(candidate)
    return None


def environment_problem() -> str | None:
    """Why the course's other users could not run this environment, with the fix; None when they can.

    A course's students and its hub run this Python, its packages and this
    repository as themselves: an interpreter below a private home (pyenv's
    ``/root/.pyenv``, ``/root`` being 0700) gives them ``Permission denied``
    (``env: 'nbgrader': Permission denied``, ``bad interpreter``).
    """
    needed = [sys.executable, sys.prefix, sys.base_prefix, REPO]
    for path in needed:
        closed = closed_to_others(path)
        if closed is not None:
            where, mode = closed
            shared = _shared_python()
            rebuild = (f"rm -rf .venv && make PYTHON={shared} venv" if shared else
                       "install a Python 3.11+ every user can run (Debian: apt-get install python3), "
                       "then: rm -rf .venv && make PYTHON=/usr/bin/python3 venv")
            return (f"the course's users cannot run this environment: {where} (mode {mode:04o}) is closed to "
                    f"other users, on the way to {os.path.realpath(path)}.\n"
                    f"Build the environment from a Python every user can run, then run this again: {rebuild}")
    return None


def migrate_gradebook(db: Path) -> str:
    """Create ``db`` (an nbgrader gradebook) or bring it to nbgrader's current schema.

    Returns what was done: "created", "stamped" (a gradebook whose tables were
    made but whose ``alembic_version`` was never written, as when Formgrader
    first ran without ``alembic`` on PATH), "upgraded" or "current".  Runs
    ``alembic`` (nbgrader.dbutil), found through this Python's bin/.
    """
    import sqlite3

    from nbgrader import dbutil
    from nbgrader.api import Gradebook, get_alembic_version

    os.environ["PATH"] = environment()["PATH"]
    head = get_alembic_version().strip()
    url = f"sqlite:///{db}"
    if not db.exists():
        Gradebook(url, course_id=COURSE_ID).close()
        return "created"
    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "alembic_version" not in tables:
            connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            connection.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
            return "stamped"
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    if version and version[0] == head:
        return "current"
    dbutil.upgrade(url)
    return "upgraded"


def run_nbgrader(course: Course, *args: str, check: bool = True,
                 timeout: float | None = None) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` as the instructor, from the course root (so its nbgrader_config.py applies).

    Output is captured.  Raises subprocess.CalledProcessError when ``check``
    and nbgrader fails, subprocess.TimeoutExpired after ``timeout`` seconds.
    """
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course.root,
                          env=environment(), check=check, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def lab_command(course: Course, *extra: str) -> tuple[list[str], dict[str, str], Path]:
    """The command, environment and working directory of the instructor's JupyterLab.

    JupyterLab is rooted at the course root, so Formgrader's links
    (``source/clock``, ``submitted/...``) resolve, this Python's bin/ is on
    PATH (nbgrader calls ``alembic``) and the course's Jupyter config
    (:mod:`graders.course.lab_server`: Formgrader's links, terminals) is on
    ``JUPYTER_CONFIG_PATH``.
    """
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={course.root}", *extra]
    if os.geteuid() == 0 and "--allow-root" not in command:
        command.append("--allow-root")  # an instructor who is root on their own machine
    env = dict(environment(), JUPYTER_CONFIG_PATH=os.pathsep.join([str(course.jupyter_config), str(course.root)]))
    return command, env, course.root


def student_lab_command(course: Course, folder: Path, *extra: str) -> tuple[list[str], dict[str, str], Path]:
    """The command, environment and working directory of a student's JupyterLab, without the hub.

    Rooted at ``folder`` (the student's own: their home), with the course's
    student configuration on ``JUPYTER_CONFIG_PATH`` (:meth:`Course.student_config_path`):
    the *Assignments* tab (fetch, submit, feedback) and *Validate* find the
    course and its exchange; Formgrader and *Create Assignment* are off; this
    Python's bin/ is on PATH.
    """
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={Path(folder).resolve()}", *extra]
    if os.geteuid() == 0 and "--allow-root" not in command:
        command.append("--allow-root")
    env = dict(environment(), JUPYTER_CONFIG_PATH=course.student_config_path())
    return command, env, Path(folder).resolve()


def main(args: argparse.Namespace) -> int:
    base = Path(args.dir)
    if args.action == "student-lab":
        course = Course(base.resolve())
        if not (course.student_config / "nbgrader_config.py").is_file() or not course.student_jupyter.is_dir():
            print(f"error: no course in {base} (its instructor makes it: python -m graders course init {base})",
                  file=sys.stderr)
            return 2
        command, env, cwd = student_lab_command(course, Path.cwd(), *shlex.split(args.lab_args))
        os.chdir(cwd)
        os.execvpe(command[0], command, env)
    problem = None if getattr(args, "private_python", False) else environment_problem()
    if problem:
        print(f"error: {problem}\n(To go on anyway, when you are this course's only user on this machine: "
              f"--private-python; with make: COURSE_ARGS=--private-python.)", file=sys.stderr)
        return 2
    course = init(base, exchange=Path(args.exchange) if args.exchange else None)
    if getattr(args, "roster", None):
        try:
            count = import_roster(course, Path(args.roster))
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except subprocess.CalledProcessError as exc:
            print(f"error: nbgrader db student import failed:\n{exc.stdout}{exc.stderr}", file=sys.stderr)
            return 2
        print(f"roster:                   {count} students from {args.roster}")
    print(f"course root (instructor): {course.root}")
    print(f"exchange:                 {course.exchange()}")
    print(f"students' config:         {course.student_config / 'nbgrader_config.py'}")
    if args.lab:
        command, env, cwd = lab_command(course, *shlex.split(args.lab_args))
        os.chdir(cwd)
        os.execvpe(command[0], command, env)
    return 0
