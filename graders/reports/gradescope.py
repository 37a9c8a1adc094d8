"""Gradescope autograder results (``results.json``) from these checks, and an autograder bundle.

Gradescope's autograder specification
(https://gradescope-autograders.readthedocs.io/en/latest/specs/, "Output
format") asks ``run_autograder`` to write ``/autograder/results/results.json``:
a ``score`` (or per-test scores), optional ``execution_time`` (seconds),
``output``, ``visibility``, ``stdout_visibility``, and ``tests``, each with
``score``, ``max_score``, ``status`` ("passed"/"failed"), ``name``,
``number``, ``output``, ``tags``, ``visibility`` ("hidden", "after_due_date",
"after_published" or "visible") and ``extra_data``.  :data:`SCHEMA` is that
format as a JSON schema (draft 2020-12).

The points and the checks of each test come from the instructor's notebook
(``solutions/NAME/NAME.ipynb``): one Gradescope test per autograder test
cell, scored as nbgrader scores it (graders.grading.plugins.outputs_for: all the
cell's checks pass, full points; some, that fraction; none, 0).  A hidden test
cell's result is shown to students ``after_published``.

Three entry points:

* :func:`grade_submission`: run the checks on a submission folder (what
  ``run_autograder`` does inside Gradescope): ``python -m graders gradescope
  NAME --submission DIR --results DIR``;
* :func:`from_gradebook`: the same format from an nbgrader course's
  gradebook (manual grades included), one file per submission:
  ``python -m graders export NAME --root COURSE`` (with ``grades.csv``);
* :func:`bundle`: ``autograder.zip`` (setup.sh, run_autograder, this
  package) to upload to Gradescope: ``python -m graders gradescope-zip NAME``.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from graders.course.paths import REPO, SOLUTIONS

CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\)""")
VISIBILITIES = ["hidden", "after_due_date", "after_published", "visible"]
HIDDEN_TEST_VISIBILITY = "after_published"

_TEST = {
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "max_score": {"type": "number", "minimum": 0},
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"},
        "name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "number": {"type": "string"},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": {"enum": VISIBILITIES},
        "extra_data": {"type": "object"},
    },
    "required": ["score", "max_score", "name"],
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Gradescope autograder results.json (gradescope-autograders.readthedocs.io, specs, Output format)",
    "type": "object",
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_output_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "test_name_format": {"enum": ["text", "html", "simple_format", "md", "ansi"]},
        "visibility": {"enum": VISIBILITIES},
        "stdout_visibility": {"enum": VISIBILITIES},
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": _TEST},
        "leaderboard": {"type": "array", "items": {
            "type": "object", "properties": {"name": {"type": "string"}, "value": {},
                                             "order": {"enum": ["asc", "desc"]}},
            "required": ["name", "value"]}},
    },
    # "score" is optional only when every test has one (the spec's comment on "score")
    "anyOf": [{"required": ["score"]},
              {"required": ["tests"], "properties": {"tests": {"items": {"required": ["score"]}}}}],
}


@dataclass
class TestCell:
    """An autograder test cell of the instructor's notebook."""

    grade_id: str
    points: float
    checks: list[str]  # check names of the assignment
    hidden: bool
    title: str  # the cell's first comment line, e.g. "1 point: it listens on port 12091"
    tags: list[str] = field(default_factory=list)


def test_cells(assignment: str, notebook: Path | None = None) -> list[TestCell]:
    """The autograder test cells of ``solutions/NAME/NAME.ipynb`` (or ``notebook``), in order."""
    import nbformat
    nb = nbformat.read(notebook or SOLUTIONS / assignment / f"{assignment}.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        calls = [c for a, c in CHECK_CALL.findall(cell.source) if a == assignment]
        first = cell.source.strip().split("\n", 1)[0]
        title = first.lstrip("#").strip() if first.startswith("#") else meta["grade_id"]
        cells.append(TestCell(meta["grade_id"], float(meta.get("points", 0)), calls,
                              "BEGIN HIDDEN TESTS" in cell.source, title))
    return cells


def _test(number: int, cell: TestCell, score: float, output: str, extra: dict) -> dict:
    return {"name": cell.title, "number": str(number), "score": round(score, 4),
            "max_score": cell.points, "status": "passed" if score >= cell.points else "failed",
            "output": output, "visibility": HIDDEN_TEST_VISIBILITY if cell.hidden else "visible",
            "tags": [f"spec {n}" for n in extra.get("spec", [])],
            "extra_data": {"grade_id": cell.grade_id, **{k: v for k, v in extra.items() if k != "spec"}}}


def results_from_checks(assignment: str, results: dict, *, seconds: float, output: str = "") -> dict:
    """results.json for check results (``{check name: CheckResult}``), scored per test cell."""
    tests = []
    for number, cell in enumerate(test_cells(assignment), 1):
        mine = [results[name] for name in cell.checks if name in results]
        passed = sum(r.passed for r in mine)
        score = cell.points * passed / len(mine) if mine else 0.0
        text = "\n".join(r.render(transcripts="all") for r in mine) or "this test did not run"
        spec = sorted({n for r in mine for n in r.spec})
        tests.append(_test(number, cell, score, text, {"spec": spec, "checks": {r.name: r.status for r in mine}}))
    total = sum(t["score"] for t in tests)
    top = sum(t["max_score"] for t in tests)
    summary = output or f"{total:g} / {top:g} points"
    return {"score": round(total, 4), "execution_time": round(seconds, 3), "output": summary,
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}


def find_answer(assignment, submission: Path, scratch: Path) -> tuple[Path | None, str]:
    """The answer file in a submission folder: the answer file itself, else a notebook's answer cell.

    A notebook's answer is written into ``scratch``.  Returns (the file
    holding the answer, or None; a note for the student when there is none).
    """
    from graders.checking import answers
    direct = sorted(submission.rglob(assignment.answer_file))
    if direct:
        return direct[0], ""
    notebooks = sorted(p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for notebook in notebooks:
        try:
            return answers.extract(notebook, assignment.answer_file, scratch), ""
        except (answers.AnswerNotFound, ValueError, OSError):
            continue
    return None, (f"No {assignment.answer_file} and no notebook with its answer cell "
                  f"(%%writefile {assignment.answer_file}) was found in your submission: "
                  f"upload {assignment.name}.ipynb or {assignment.answer_file}.")


def grade_submission(name: str, submission: Path) -> dict:
    """Run every check of assignment ``name`` on a submission folder; the results.json content.

    The folder holds the answer file (e.g. ``clock_server.py``) or the
    notebook (its answer cell is graded).  A missing answer scores 0 with a
    note.  Raises KeyError for an unknown assignment.
    """
    from graders import assignments
    from graders.checking.checks import run_checks
    assignment = assignments.get(name)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="graders-gradescope-") as scratch:
        path, note = find_answer(assignment, Path(submission), Path(scratch))
        if path is None:
            return results_from_checks(name, {}, seconds=time.monotonic() - began, output=note)
        report = run_checks(assignment, path)
    return results_from_checks(name, {r.name: r for r in report.results}, seconds=time.monotonic() - began)


def from_gradebook(root: Path, assignment: str, student: str, course_id: str = "python-servers") -> dict:
    """results.json for one autograded submission of an nbgrader course, from its gradebook.

    Scores are the gradebook's (a manual grade overrides the autograder's), so
    they add up to the score in ``grades.csv``; each test's output is what the
    autograded test cell printed (the transcripts).  Raises
    nbgrader.api.MissingEntry when the submission is not in the gradebook.
    """
    import nbformat
    from nbgrader.api import Gradebook
    cells = {c.grade_id: c for c in test_cells(assignment)}
    tests, number = [], 0
    with Gradebook(f"sqlite:///{Path(root) / 'gradebook.db'}", course_id) as gb:
        submission = gb.find_submission(assignment, student)
        for notebook in submission.notebooks:
            path = Path(root) / "autograded" / student / assignment / f"{notebook.name}.ipynb"
            printed = {}
            if path.exists():
                for cell in nbformat.read(path, as_version=4).cells:
                    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                    if grade_id and cell.cell_type == "code":
                        printed[grade_id] = "".join(o.get("text", "") for o in cell.get("outputs", [])
                                                    if o.get("output_type") == "stream")
            for grade in sorted(notebook.grades, key=lambda g: list(cells).index(g.name)
                                if g.name in cells else len(cells)):
                number += 1
                cell = cells.get(grade.name) or TestCell(grade.name, grade.max_score, [], False, grade.name)
                extra = {"auto_score": grade.auto_score, "manual_score": grade.manual_score}
                tests.append(_test(number, cell, float(grade.score or 0), printed.get(grade.name, ""), extra))
        total, top = float(submission.score), float(submission.max_score)
    return {"score": round(total, 4), "output": f"{total:g} / {top:g} points", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"student": student, "assignment": assignment, "max_score": top}}


def export(root: Path, assignment: str, out: Path | None = None) -> list[Path]:
    """``exports/grades.csv`` (``nbgrader export``) and a results.json per submission of ``assignment``.

    Files: ``OUT/grades.csv`` and ``OUT/gradescope/ASSIGNMENT/STUDENT/results.json``
    (``OUT`` defaults to ``ROOT/exports``).  Returns the results.json paths.
    Raises subprocess.CalledProcessError when nbgrader export fails.
    """
    from graders.course.paths import nbgrader
    root = Path(root).resolve()
    out = Path(out or root / "exports").resolve()
    out.mkdir(parents=True, exist_ok=True)
    nbgrader("export", f"--to={out / 'grades.csv'}", root=root)
    return write_results(root, assignment, out)


def write_results(root: Path, assignment: str, out: Path) -> list[Path]:
    """``OUT/gradescope/ASSIGNMENT/STUDENT/results.json`` for every submission in the gradebook."""
    from nbgrader.api import Gradebook
    root, out = Path(root).resolve(), Path(out).resolve()
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "python-servers") as gb:
        students = sorted(s.student.id for s in gb.assignment_submissions(assignment))
    written = []
    for student in students:
        path = out / "gradescope" / assignment / student / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(from_gradebook(root, assignment, student), indent=1) + "\n")
        written.append(path)
    return written


RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission (gradescope-autograders.readthedocs.io, specs):
# it grades /autograder/submission (the notebook or {answer}) with every check of the
# {name!r} assignment and writes /autograder/results/results.json.
# AUTOGRADER_ROOT (default /autograder) and GRADERS_PYTHON move it elsewhere, for a try-out.
set -euo pipefail
AUTOGRADER="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GRADERS_PYTHON:-$AUTOGRADER/venv/bin/python}}"
mkdir -p "$AUTOGRADER/results"
cd "$AUTOGRADER/source"
exec "$PYTHON" -m graders gradescope {name} --submission "$AUTOGRADER/submission" \\
    --results "$AUTOGRADER/results"
"""

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# Choose an Ubuntu 24.04 base image (Python 3.12; the workbook needs 3.11 or newer).
set -euo pipefail
apt-get install -y python3 python3-venv
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --quiet -e /autograder/source
"""

BUNDLED = ["pyproject.toml", "README.md", "nbgrader_config.py", "graders"]


def bundle(name: str, out: Path) -> Path:
    """Write ``autograder.zip`` for Gradescope: setup.sh and run_autograder at the top, the package beside.

    Contains this package, pyproject.toml, and ``solutions/NAME`` (the points
    and the checks of each test cell); never another assignment's solution.
    """
    from graders import assignments
    assignment = assignments.get(name)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, text in (("setup.sh", SETUP_SH),
                              ("run_autograder", RUN_AUTOGRADER.format(name=name, answer=assignment.answer_file))):
            info = zipfile.ZipInfo(arcname)
            info.external_attr = 0o100755 << 16
            z.writestr(info, text)
        for top in BUNDLED + [f"solutions/{name}"]:
            path = REPO / top
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
            for file in files:
                if "__pycache__" in file.parts or ".ipynb_checkpoints" in file.parts:
                    continue
                z.write(file, f"{file.relative_to(REPO)}")
    return out


def write_run_autograder(name: str, folder: Path) -> Path:
    """Write the ``run_autograder`` script of assignment ``name`` into ``folder`` (mode 0755)."""
    from graders import assignments
    path = Path(folder) / "run_autograder"
    path.write_text(RUN_AUTOGRADER.format(name=name, answer=assignments.get(name).answer_file))
    path.chmod(0o755)
    return path


def main_grade(args: argparse.Namespace) -> int:
    results = grade_submission(args.assignment, Path(args.submission))
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"{results['score']:g} points: {out / 'results.json'}")
    return 0


def main_export(args: argparse.Namespace) -> int:
    root = Path(args.root)
    written = export(root, args.assignment, Path(args.out) if args.out else None)
    out = Path(args.out) if args.out else root / "exports"
    print(f"grades: {out / 'grades.csv'}")
    print(f"Gradescope results: {len(written)} files under {out / 'gradescope' / args.assignment}/STUDENT/")
    return 0


def main_zip(args: argparse.Namespace) -> int:
    path = bundle(args.assignment, Path(args.out or f"build/gradescope/{args.assignment}/autograder.zip"))
    print(f"upload to Gradescope: {os.path.relpath(path)}")
    return 0
