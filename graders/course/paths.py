"""Run nbgrader's own commands for a course directory.

Every nbgrader step of the workbook (release, autograde, feedback, export)
goes through :func:`nbgrader`, which runs ``python -m nbgrader`` from this
environment with ``solutions/`` as the source directory and ``root`` as the
course directory (submitted/, autograded/, feedback/, gradebook.db).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "solutions"
NOTEBOOKS = REPO / "notebooks"


def environment() -> dict[str, str]:
    """This process's environment with this Python's bin/ first on PATH.

    nbgrader runs the ``alembic`` command when it creates a gradebook; it is
    found only if the environment's bin/ is on PATH (not so when
    ``.venv/bin/python`` is called directly).
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("GRADERS_AUTOGRADE", None)
    return env


def nbgrader(*args: str, root: Path, release: Path | None = None, check: bool = True,
             timeout: float | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` on the course in ``root``; its output is captured.

    Raises subprocess.CalledProcessError when ``check`` and nbgrader fails,
    subprocess.TimeoutExpired after ``timeout`` seconds.
    """
    Path(root).mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "nbgrader", *args,
               f"--CourseDirectory.root={Path(root).resolve()}",
               f"--CourseDirectory.source_directory={SOLUTIONS}"]
    if release is not None:
        command.append(f"--CourseDirectory.release_directory={Path(release).resolve()}")
    return subprocess.run(command, cwd=REPO, env=environment(), check=check, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=timeout)
