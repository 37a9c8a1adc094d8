"""Regenerate the student workbook (``notebooks/``) from ``solutions/``.

``nbgrader generate_assignment`` strips the solution regions and hidden tests
and locks the test cells.  It runs in a throw-away course directory, so the
instructor's gradebook is not touched; only ``notebooks/NAME/`` is replaced.
tests/test_release.py fails when the committed workbook drifts from this.

The workbook is for self-study from a clone, where the hidden checks are
there to run (``solutions/`` is beside it): its hidden test cells keep their
``check(...)`` call (:func:`keep_hidden_calls`), so Validate and Run All run
every check.  In a course's student view the hidden checks are withheld
(graders/student_view.py) and those cells say they did not run.  A course's
own release (``nbgrader generate_assignment`` in the course) strips them as
nbgrader does.
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


HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


def keep_hidden_calls(released: Path, source: Path) -> int:
    """Give the hidden test cells of the released notebook ``released`` their calls back.

    Each such cell becomes its source in ``source`` (the solutions notebook)
    without the two marker lines, and its nbgrader checksum is computed again
    (Validate compares it).  Returns how many cells changed.
    """
    import nbformat
    from nbgrader.utils import compute_checksum
    nb = nbformat.read(released, as_version=4)
    originals = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell.source
                 for cell in nbformat.read(source, as_version=4).cells}
    changed = 0
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        original = originals.get(meta.get("grade_id"), "")
        if cell.cell_type != "code" or not meta.get("grade") or HIDDEN_MARKERS[0] not in original:
            continue
        cell.source = "\n".join(line for line in original.split("\n")
                                if line.strip() not in HIDDEN_MARKERS)
        if "checksum" in meta:
            meta["checksum"] = compute_checksum(cell)
        changed += 1
    if changed:
        nbformat.write(nb, released)
    return changed


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
            for notebook in (release_dir / name).glob("*.ipynb"):
                keep_hidden_calls(notebook, SOLUTIONS / name / notebook.name)


def main(args: argparse.Namespace) -> int:
    names = args.assignments or assignment_names()
    generate(names, NOTEBOOKS)
    for name in names:
        print(f"released {name} -> {(NOTEBOOKS / name).relative_to(REPO)}/")
    return 0
