"""Hostile notebooks through a real ``nbgrader autograde`` (graders.grading.batch.grade, 2 at a time).

Every submission is a sample notebook (examples/submissions/{correct,wrong_answer}) with cells
edited, deleted or added: cells that kill or hang the kernel, edited locked cells, deleted test
cells, cells that redefine the grading helpers or patch socket/subprocess in the kernel, and
cells that attack the course itself from the kernel (the gradebook, other submissions).

Tampering changes no grade: each submission must get the score of its untampered base
(correct 10/10, wrong_answer its score in examples/clock/expected.json), every grading must end as "graded", and the students graded
before or after an attacker keep their own scores.
"""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from graders.grading.batch import grade
from graders.course.paths import nbgrader

from .conftest import REPO

SAMPLES = REPO / "examples" / "submissions"
FULL = 10.0
WRONG = json.loads((REPO / "examples" / "clock" / "expected.json").read_text())["wrong_answer"]["score"]
NOTEBOOK_LIMIT = 300  # seconds one autograde may take (a hung cell costs Execute.timeout, 60 s)

KILL_KERNEL = "import os\nos._exit(1)"
HANG_KERNEL = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"
REDEFINE_HELPERS = """\
import graders.notebook as g
g.check = lambda *a, **k: None
g.selfcheck = lambda *a, **k: True
import graders.checks
graders.checks.run_checks = lambda *a, **k: None
import graders.nbgrader
graders.nbgrader.outputs_for = lambda cell, results: []
import graders.grading.plugins
graders.grading.plugins.TrustedChecks.preprocess = lambda self, nb, resources: (nb, resources)
def check(*args, **kwargs):
    print("all checks passed")
"""
PATCH_MODULES = """\
import socket, subprocess
class Dead:
    def __init__(self, *a, **k):
        raise OSError("no sockets for you")
socket.socket = Dead
socket.create_connection = lambda *a, **k: None
subprocess.run = lambda *a, **k: subprocess.CompletedProcess(a, 0, '{"results": []}', "")
subprocess.Popen = Dead
"""
WRITE_ANSWER_FILE = "%%writefile clock_server.py\n" + (SAMPLES.parent / "clock" / "correct.py").read_text()
FIND_COURSE = """\
import glob, json, os, sqlite3
def course_root():
    d = os.getcwd()
    while d != "/":
        if os.path.exists(os.path.join(d, "gradebook.db")):
            return d
        d = os.path.dirname(d)
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            args = open(path, "rb").read().split(b"\\0")
        except OSError:
            continue
        for arg in args:
            if arg.startswith(b"--CourseDirectory.root="):
                return arg.split(b"=", 1)[1].decode()
root = course_root()
print("course root:", root)
"""
MY_GRADES = ("notebook_id IN (SELECT sn.id FROM submitted_notebook sn JOIN submitted_assignment sa "
             "ON sn.assignment_id = sa.id WHERE sa.student_id {op} '{student}')")
GRADEBOOK_SELF = FIND_COURSE + f"""\
db = sqlite3.connect(os.path.join(root, "gradebook.db"), timeout=20)
db.execute("UPDATE grade SET manual_score = (SELECT max_score FROM grade_cells "
           "WHERE grade_cells.id = grade.cell_id) WHERE {MY_GRADES.format(op='=', student='gradebook_self')}")
db.commit()
print("gave myself full marks")
"""
GRADEBOOK_OTHERS = FIND_COURSE + f"""\
db = sqlite3.connect(os.path.join(root, "gradebook.db"), timeout=20)
db.execute("UPDATE grade SET manual_score = 0 WHERE {MY_GRADES.format(op='!=', student='gradebook_others')}")
db.commit()
print("gave everyone else zero")
"""
OVERWRITE_OTHERS = FIND_COURSE + """\
for path in glob.glob(os.path.join(root, "submitted", "*", "clock", "clock.ipynb")):
    if "/overwrites_others/" in path:
        continue
    nb = json.load(open(path))
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell["source"] = "%%writefile clock_server.py\\nraise SystemExit('sabotaged')\\n"
    json.dump(nb, open(path, "w"))
    print("sabotaged", path)
"""


def _load(base: str) -> nbformat.NotebookNode:
    return nbformat.read(str(SAMPLES / base / "clock" / "clock.ipynb"), as_version=4)


def _answer_index(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))


def add_cell(code: str):
    def change(nb):
        nb.cells.insert(_answer_index(nb) + 1, nbformat.v4.new_code_cell(code))
    return change


def edit_locked(nb):
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("locked") and not meta.get("solution"):
            cell.source = 'print("all good")' if cell.cell_type == "code" else "nothing to see here"


def delete_tests(nb):
    nb.cells = [c for c in nb.cells if not (c.metadata.get("nbgrader", {}).get("grade")
                                             and not c.metadata.get("nbgrader", {}).get("solution"))]


def forge_outputs(nb):
    """Test cells handed in with outputs that look like a pass (they are re-run anyway)."""
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="all checks passed\n")]
            cell.execution_count = 1


# student id -> (base sample, change, expected score).  Every submission is handed in first;
# then phase 1 is graded (2 at a time), then phase 2, and so on: an attacker's kernel runs
# after its victims were graded and before late_victim is.
PHASES: list[dict[str, tuple[str, object, float]]] = [
    {
        "base_correct": ("correct", None, FULL),
        "base_wrong": ("wrong_answer", None, WRONG),
        "kernel_exit": ("correct", add_cell(KILL_KERNEL), FULL),
        "kernel_hang": ("correct", add_cell(HANG_KERNEL), FULL),
        "edited_locked": ("wrong_answer", edit_locked, WRONG),
        "deleted_tests": ("wrong_answer", delete_tests, WRONG),
        "forged_outputs": ("wrong_answer", forge_outputs, WRONG),
        "redefines_helpers": ("wrong_answer", add_cell(REDEFINE_HELPERS), WRONG),
        "patches_modules": ("wrong_answer", add_cell(PATCH_MODULES), WRONG),
        "patches_modules_correct": ("correct", add_cell(PATCH_MODULES), FULL),
        "writes_answer_file": ("wrong_answer", add_cell(WRITE_ANSWER_FILE), WRONG),
    },
    {"gradebook_self": ("wrong_answer", add_cell(GRADEBOOK_SELF), WRONG)},
    {"gradebook_others": ("wrong_answer", add_cell(GRADEBOOK_OTHERS), WRONG)},
    {"overwrites_others": ("wrong_answer", add_cell(OVERWRITE_OTHERS), WRONG)},
    {
        "late_victim": ("correct", None, FULL),
    },
]
EXPECTED = {student: spec[2] for phase in PHASES for student, spec in phase.items()}
PHASE_OF = {student: index for index, phase in enumerate(PHASES) for student in phase}


def scores(root: Path) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id: (s.score, s.max_score) for s in gb.assignment_submissions("clock")}


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """Build the course, grade phase by phase; the scores after each phase and the outcomes."""
    root = tmp_path_factory.mktemp("hostile-course")
    nbgrader("generate_assignment", "clock", "--force", root=root, release=root / "release",
             timeout=300)
    after: list[dict[str, tuple[float, float]]] = []
    outcomes = {}
    for phase in PHASES:
        for student, (base, change, _score) in phase.items():
            nb = copy.deepcopy(_load(base))
            if change is not None:
                change(nb)
            target = root / "submitted" / student / "clock" / "clock.ipynb"
            target.parent.mkdir(parents=True)
            nbformat.write(nb, str(target))
    for phase in PHASES:
        for outcome in grade(root, "clock", students=sorted(phase), jobs=2, progress=False):
            if outcome.student in phase:
                outcomes[outcome.student] = outcome
        after.append(scores(root))
    yield root, after, outcomes
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("student", list(EXPECTED))
def test_tampering_changes_no_grade(graded_course, student):
    root, after, outcomes = graded_course
    outcome = outcomes[student]
    assert outcome.status == "graded", f"{student}: {outcome.reason}"
    assert outcome.seconds < NOTEBOOK_LIMIT, f"{student} took {outcome.seconds:.0f} s to autograde"
    own = after[PHASE_OF[student]][student]  # right after its own grading
    assert own == (EXPECTED[student], FULL), (
        f"{student} got {own[0]:g}/{own[1]:g}, its untampered base gets {EXPECTED[student]:g}/{FULL:g}; "
        f"grading note: {outcome.reason or '-'}")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_attackers_change_no_one_elses_grade(graded_course):
    """The kernel of a later submission cannot change the grades already in the gradebook."""
    root, after, _outcomes = graded_course
    changed = {}
    for index, phase in enumerate(PHASES):
        for student in phase:
            own, final = after[index][student], after[-1][student]
            if final != own:
                changed[student] = f"{own[0]:g} -> {final[0]:g}"
    assert not changed, f"grades changed by later submissions' kernels: {changed}"


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_hung_and_dead_kernels_are_noted(graded_course):
    _root, _after, outcomes = graded_course
    assert "died" in outcomes["kernel_exit"].reason
    assert outcomes["kernel_hang"].reason, "the hung kernel left no note"
    assert outcomes["base_correct"].reason == ""
