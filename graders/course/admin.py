"""An instructor's nbgrader course outside the repository: ``python -m graders course init``.

The repository is the self-study workbook (``notebooks/``, everything
readable).  A *course* is a separate directory an instructor runs a class
from, laid out as docs/course.md describes::

    DIR/                         python -m graders course init DIR   (make course: build/course)
    ├── instructor/              the course root: nbgrader's CourseDirectory.root, JupyterLab's root
    │   ├── nbgrader_config.py   loads the repository's nbgrader_config.py, then sets the paths below
    │   ├── source -> REPO/solutions   nbgrader's source directory (a symbolic link)
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
    def student_config(self) -> Path:
        """The folder holding the students' nbgrader_config.py (for JUPYTER_CONFIG_PATH)."""
        return self.base / "student_config"

    def exchange(self) -> Path:
        """The exchange root recorded in the student config (may be outside ``base``)."""
        marker = self.base / "exchange.path"
        return Path(marker.read_text().strip()) if marker.exists() else self.base / "exchange"


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


def init(base: Path, *, exchange: Path | None = None, timeout: float = 120) -> Course:
    """Create (or bring up to date) the course in ``base``; idempotent.

    Writes both configurations, links ``source`` to solutions/, makes the
    exchange (mode 1777) and creates and migrates ``gradebook.db`` with
    ``nbgrader db upgrade`` (which runs ``alembic``: this Python's bin/ is put
    on PATH).  Raises subprocess.CalledProcessError when nbgrader fails,
    FileExistsError when ``source`` exists and is not the link to solutions/.
    """
    course = Course(Path(base).resolve())
    root = course.root
    exchange = Path(exchange).resolve() if exchange else course.base / "exchange"
    root.mkdir(parents=True, exist_ok=True)
    course.base.chmod(0o755)  # students (and a hub) pass through DIR/ to the exchange and their config
    root.chmod(0o700)  # the gradebook, submissions and feedback are the instructor's alone
    source = root / "source"
    if source.is_symlink() and source.resolve() != SOLUTIONS:
        source.unlink()
    if not source.is_symlink():
        if source.exists():
            raise FileExistsError(f"{source} exists and is not a link to {SOLUTIONS}")
        source.symlink_to(SOLUTIONS, target_is_directory=True)
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
    from graders.course import student_view
    student_view.write(course.student_view)
    migrate_gradebook(root / "gradebook.db")
    return course


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
    (``/tree/source/clock``, ``/tree/submitted/...``) resolve, and this
    Python's bin/ is on PATH (nbgrader calls ``alembic``).
    """
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={course.root}", *extra]
    if os.geteuid() == 0 and "--allow-root" not in command:
        command.append("--allow-root")  # an instructor who is root on their own machine
    return command, environment(), course.root


def main(args: argparse.Namespace) -> int:
    base = Path(args.dir)
    course = init(base, exchange=Path(args.exchange) if args.exchange else None)
    print(f"course root (instructor): {course.root}")
    print(f"exchange:                 {course.exchange()}")
    print(f"students' config:         {course.student_config / 'nbgrader_config.py'}")
    if args.lab:
        command, env, cwd = lab_command(course, *shlex.split(args.lab_args))
        os.chdir(cwd)
        os.execvpe(command[0], command, env)
    return 0
