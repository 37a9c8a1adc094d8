"""`python -m graders course init`: the course layout of docs/course.md, and a gradebook Formgrader can open.

The whole round through the exchange, and Formgrader on it, are in
tests/test_course_exchange.py (root, slow); this is the layout alone.
"""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import course_users
from graders.course import admin as course_admin

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # nbgrader and alembic start several times: ~25 s of CPU


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")
    done = subprocess.run([sys.executable, "-m", "graders", "course", "init", str(base), "--private-python"], cwd=REPO,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return course_admin.Course(base)


def test_the_layout_is_the_documented_one(course):
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    source = course.root / "source"
    assert source.is_dir() and not source.is_symlink()
    assert sorted(p.name for p in source.iterdir()) == ["clock", "secret_number", "secret_word", "swap"]
    assert all((source / name).resolve() == REPO / "solutions" / name for name in course_admin.assignments())
    assert (course.root / "release").is_dir()
    assert mode(course.root) == 0o700
    assert mode(course.base) == 0o755
    assert mode(course.exchange()) == 0o1777
    assert "alembic_version" in tables(course.root / "gradebook.db")


def test_nbgrader_reads_the_instructor_config_from_the_course_root(course):
    probe = ("from nbgrader.apps import NbGrader; a = NbGrader(); a.initialize([]); "
             "c = a.coursedir; print(c.course_id, c.root, c.format_path(c.source_directory, '.', 'clock'), "
             "a.config.Exchange.root, a.config.Autograde.autograde_preprocessors[0])")
    done = subprocess.run([sys.executable, "-c", probe], cwd=course.root, capture_output=True, text=True,
                          timeout=120, env=course_admin.environment(), stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    course_id, root, source, exchange, first = done.stdout.split()
    assert course_id == course_admin.COURSE_ID and Path(root) == course.root
    assert Path(source) == course.root / "source" / "clock"
    assert (Path(source) / "clock.ipynb").is_file()
    assert Path(exchange) == course.exchange()
    assert first == "graders.grading.plugins.Execute"  # the repository's autograding plug-ins are loaded


def test_the_students_config_names_the_course_and_the_exchange_only(course):
    text = (course.student_config / "nbgrader_config.py").read_text()
    assert str(course.exchange()) in text and course_admin.COURSE_ID in text
    assert str(course.root) not in text and "solutions" not in text
    assert stat.S_IMODE((course.student_config / "nbgrader_config.py").stat().st_mode) & 0o004


def test_init_again_keeps_the_gradebook_and_stamps_one_alembic_never_stamped(course):
    db = course.root / "gradebook.db"
    with sqlite3.connect(db) as connection:  # Formgrader's first start without alembic on PATH left this
        connection.execute("DROP TABLE alembic_version")
        connection.execute("INSERT INTO student (id) VALUES ('kept')")
    assert course_admin.migrate_gradebook(db) == "stamped"
    assert course_admin.migrate_gradebook(db) == "current"
    course_admin.init(course.base)
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT id FROM student").fetchall() == [("kept",)]
    assert not list(course.root.glob("gradebook.db.*"))  # no backup copies piling up


@pytest.mark.skipif(not course_users.is_root(), reason="creates a Unix user: needs root")
def test_the_environment_check_says_what_a_real_student_can_run(tmp_path):
    """closed_to_others() predicts, for this environment's Python and the system's, what a new user can run."""
    name = course_users.unique_name("wbenv")
    entry = course_users.create_user(name, tmp_path / name)
    try:
        candidates = [sys.executable, *(p for p in ("/usr/bin/python3", "/usr/bin/python3.11") if os.path.exists(p))]
        outcomes = {}
        for python in candidates:
            try:  # as the user, with no mount namespace: what their shell or a cron job would get
                done = subprocess.run([python, "-c", "import encodings, json, ssl"],
                                      user=entry.pw_uid, group=entry.pw_gid, extra_groups=[], cwd="/",
                                      env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / name)},
                                      capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
                outcomes[python], why = done.returncode == 0, done.stderr
            except PermissionError as exc:  # exec itself refused
                outcomes[python], why = False, str(exc)
            assert outcomes[python] == (course_admin.closed_to_others(python) is None), (python, why)
        problem = course_admin.environment_problem()
        if not outcomes[sys.executable]:
            assert problem is not None and "PYTHON=" in problem
    finally:
        course_users.remove_user(name)


def test_course_init_refuses_an_environment_other_users_cannot_run(tmp_path):
    done = subprocess.run([sys.executable, "-m", "graders", "course", "init", str(tmp_path / "c")], cwd=REPO,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    problem = course_admin.environment_problem()
    if problem is None:
        assert done.returncode == 0, done.stderr
    else:
        assert done.returncode == 2 and "make PYTHON=" in done.stderr and "--private-python" in done.stderr
        assert not (tmp_path / "c").exists()


def test_the_environment_check_walks_every_folder_on_the_way(tmp_path):
    folder = tmp_path / "private" / "bin"
    folder.mkdir(parents=True)
    tool = folder / "python"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    tmp_path.chmod(0o755)
    (tmp_path / "private").chmod(0o700)
    if course_admin.closed_to_others(tmp_path) is None:
        assert course_admin.closed_to_others(tool) == (tmp_path / "private", 0o700)
        (tmp_path / "private").chmod(0o711)
        assert course_admin.closed_to_others(tool) is None
        tool.chmod(0o750)
        assert course_admin.closed_to_others(tool) == (tool, 0o750)


def test_the_older_single_source_link_becomes_one_link_per_assignment(tmp_path):
    source = tmp_path / "source"
    source.symlink_to(REPO / "solutions", target_is_directory=True)
    course_admin.link_sources(source)
    assert not source.is_symlink()
    assert sorted(os.listdir(source)) == ["clock", "secret_number", "secret_word", "swap"]
    (source / "mine").mkdir()  # the instructor's own assignment stays
    course_admin.link_sources(source)
    assert (source / "mine").is_dir() and len(os.listdir(source)) == 5


def test_a_roster_names_the_students_in_the_gradebook(course, tmp_path):
    from nbgrader.api import Gradebook
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n"
                      "alice,Alice,Liddell,alice@example.org\nbob,Bob,Dylan,\n")
    done = subprocess.run([sys.executable, "-m", "graders", "course", "init", str(course.base), "--private-python",
                           "--roster", str(roster)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "2 students" in done.stdout
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course_admin.COURSE_ID) as gradebook:
        people = {s.id: (s.first_name, s.last_name, s.email) for s in gradebook.students}
    assert people["alice"] == ("Alice", "Liddell", "alice@example.org")
    assert people["bob"] == ("Bob", "Dylan", None)


def test_a_roster_without_ids_is_refused(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("login,first_name\nalice,Alice\n")
    done = subprocess.run([sys.executable, "-m", "graders", "course", "init", str(course.base), "--private-python",
                           "--roster", str(roster)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "no 'id' column" in done.stderr
