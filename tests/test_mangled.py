"""Notebooks students mangle (issue 14), graded by a real ``nbgrader autograde`` on a throw-away course.

The corpus is tests/mangled/build.py: each case is a sample submission (correct or wrong_answer)
with cells duplicated, forged, renamed, reordered, retyped, stuffed with output, the answer's
``%%writefile`` line removed, the notebook misnamed or unreadable.  Each must get the grade a fair
instructor gives (that of its untouched base, or 0), with notes that say what happened; an
unreadable notebook fails alone, with a reason that names the student and the cause.

The submissions are arranged as the batch arranges them (graders.grading.diagnose.arrange) and graded by
a few nbgrader processes at once, each grading several students of its own copy of the course.
Nothing here hard-codes a score: the bases are graded alongside, the maximum read from the gradebook.
"""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from graders.grading import diagnose
from graders.course.paths import nbgrader
from mangled import build

pytestmark = pytest.mark.slow
GROUPS = 3  # nbgrader processes at once
BASES = ("correct", "wrong_answer")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    template = tmp_path_factory.mktemp("course")
    nbgrader("generate_assignment", build.ASSIGNMENT, "--force", root=template, release=template / "release")
    students: list[tuple[str, dict[str, bytes]]] = [(b, build.submission(build.Case(b, "", b, b))) for b in BASES]
    arranged: dict[str, diagnose.Arranged] = {}
    for case in build.CASES:
        files = build.submission(case)
        arranged[case.name] = diagnose.arrange(files, [build.ASSIGNMENT])
        # an unreadable notebook goes to nbgrader as it is: it must fail alone
        students.append((case.name, arranged[case.name].files))
    roots = []
    for group in range(GROUPS):
        root = tmp_path_factory.mktemp(f"group{group}")
        shutil.copy(template / "gradebook.db", root / "gradebook.db")
        for student, files in students[group::GROUPS]:
            folder = root / "submitted" / student / build.ASSIGNMENT
            folder.mkdir(parents=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
        roots.append(root)

    def run(root: Path):
        return nbgrader("autograde", build.ASSIGNMENT, "--force", root=root, check=False, timeout=900)

    with ThreadPoolExecutor(GROUPS) as pool:
        runs = list(pool.map(run, roots))
    scores, notes, kernel, logs, errors, maximum = {}, {}, {}, {}, {}, set()
    for root, done in zip(roots, runs):
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            maximum.add(gb.find_assignment(build.ASSIGNMENT).max_score)
            for sub in gb.assignment_submissions(build.ASSIGNMENT):
                scores[sub.student.id] = (sub.score, sub.max_score)
        for path in root.glob(f"autograded/*/{build.ASSIGNMENT}/{build.NOTEBOOK}"):
            meta = nbformat.read(str(path), as_version=4).metadata.get("graders", {})
            student = path.parent.parent.name
            notes[student] = meta.get("notes", [])
            kernel[student] = meta.get("kernel", "")
            errors[student] = [k for k, v in meta.get("checks", {}).items() if v == "error"]
        for student in (s for s, _ in students[roots.index(root)::GROUPS]):
            logs[student] = (done.stderr, root)
    return dict(scores=scores, notes=notes, kernel=kernel, logs=logs, errors=errors, arranged=arranged,
                maximum=maximum.pop() if len(maximum) == 1 else maximum)


def test_the_bases_get_their_grades(graded):
    full = graded["maximum"]
    assert isinstance(full, float) and full > 0
    assert graded["scores"]["correct"] == (full, full)
    assert 0 < graded["scores"]["wrong_answer"][0] < full


@pytest.mark.parametrize("case", [c for c in build.CASES if c.grade != "unreadable"], ids=lambda c: c.name)
def test_each_mangled_notebook_gets_the_fair_grade_and_says_why(graded, case):
    scores = graded["scores"]
    assert case.name in graded["notes"], f"{case.name} was not graded:\n{graded['logs'][case.name][0][-3000:]}"
    for student in (case.name, case.grade):
        # not the mangling: the grader itself failed (e.g. a sandbox that did not start in time)
        assert not graded["errors"].get(student), f"grader error for {student}: {graded['errors'][student]}"
    want = 0.0 if case.grade == "zero" else scores[case.grade][0]
    assert scores[case.name] == (want, graded["maximum"])  # a forged cell adds no points to the maximum
    notes = graded["notes"][case.name] + graded["arranged"][case.name].notes
    for words in case.notes:
        assert any(words in note for note in notes), (words, notes)
    if not case.notes:
        assert notes == []
    assert graded["kernel"][case.name] == ""  # no cell hung or killed the kernel (no_writefile: not 60 s)


@pytest.mark.parametrize("case", [c for c in build.CASES if c.grade == "unreadable"], ids=lambda c: c.name)
def test_an_unreadable_notebook_fails_alone_with_its_reason(graded, case):
    assert graded["arranged"][case.name].problem  # the batch would not even start nbgrader on it
    assert case.name not in graded["notes"]  # nbgrader did not produce a graded notebook
    log, root = graded["logs"][case.name]
    reason = diagnose.explain_log(log, student=case.name, assignment=build.ASSIGNMENT,
                                  notebook=root / "submitted" / case.name / build.ASSIGNMENT)
    assert reason.startswith(f"{case.name}'s {build.ASSIGNMENT}: {build.NOTEBOOK} ")
    for words in case.notes:
        assert words in reason
    assert "Nothing was graded" in reason


def test_the_feedback_page_shows_the_note(graded):
    _log, root = graded["logs"]["no_writefile"]
    nbgrader("generate_feedback", build.ASSIGNMENT, "--student", "no_writefile", "--force", root=root, timeout=300)
    page = (root / "feedback" / "no_writefile" / build.ASSIGNMENT / "clock.html").read_text()
    assert "Autograder note:" in page and "did not start with" in page


def test_the_notes_reach_the_feedback(graded):
    """The autograded notebook (what `nbgrader generate_feedback` renders) opens with the notes."""
    for case in build.CASES:
        if case.grade == "unreadable" or not graded["notes"].get(case.name):
            continue
        for root in {r for _, r in graded["logs"].values()}:
            path = root / "autograded" / case.name / build.ASSIGNMENT / build.NOTEBOOK
            if path.exists():
                first = nbformat.read(str(path), as_version=4).cells[0]
                assert first.cell_type == "markdown" and first.source.startswith("**Autograder note:**")
                assert graded["notes"][case.name][0] in first.source
