"""Regenerate the student workbook (``notebooks/``) from ``solutions/``.

``nbgrader generate_assignment`` strips the solution regions and hidden tests
and locks the test cells.  It runs in a throw-away course directory, so the
instructor's gradebook is not touched; only ``notebooks/NAME/`` is replaced.
tests/test_release.py fails when the committed workbook drifts from this.
"""
from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from graders.course.paths import NOTEBOOKS, REPO, SOLUTIONS, nbgrader


def assignment_names() -> list[str]:
    """Every assignment in solutions/ (a folder holding a notebook)."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def generate(names: list[str], release_dir: Path) -> None:
    """Run nbgrader generate_assignment for ``names`` into ``release_dir``.

    Raises subprocess.CalledProcessError (with nbgrader's log) when nbgrader fails.
    """
    with tempfile.TemporaryDirectory(prefix="graders-release-") as course:
        for name in names:
            nbgrader("generate_assignment", name, "--force", root=Path(course), release=release_dir)
            for junk in list((release_dir / name).rglob("*")):
                if junk.name in (".ipynb_checkpoints", "__pycache__") and junk.is_dir():
                    shutil.rmtree(junk)


def main(args: argparse.Namespace) -> int:
    names = args.assignments or assignment_names()
    generate(names, NOTEBOOKS)
    for name in names:
        print(f"released {name} -> {(NOTEBOOKS / name).relative_to(REPO)}/")
    return 0
