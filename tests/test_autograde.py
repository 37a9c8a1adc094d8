"""The real nbgrader pipeline on the sample submissions: scores, feedback, export.

Slow (it runs nbgrader and a Jupyter kernel per submission), and the heart of
the product: the grades an instructor exports.
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from graders import batch
from graders.course import nbgrader

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
pytestmark = pytest.mark.slow


def graded_assignments() -> list[str]:
    return sorted(p.parent.name for p in EXAMPLES.glob("*/expected.json")
                  if (REPO / "solutions" / p.parent.name).is_dir())


def make_course(root: Path, names: list[str], students: list[str] | None = None) -> None:
    for name in names:
        for nb_dir in EXAMPLES.glob(f"submissions/*/{name}"):
            student = nb_dir.parent.name
            if students is None or student in students:
                shutil.copytree(nb_dir, root / "submitted" / student / name)
        nbgrader("generate_assignment", name, "--force", root=root, release=root / "release")


def scores(root: Path, name: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(name)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    names = graded_assignments()
    make_course(root, names)
    executor = batch.open_executor(root, batch.default_jobs())  # one pool of workers for every assignment
    try:
        outcomes = {name: {o.student: o for o in batch.grade(root, name, progress=False, executor=executor)}
                    for name in names}
    finally:
        executor.close()
    return root, names, outcomes


def test_every_submission_gets_its_expected_score(course):
    root, names, outcomes = course
    problems = []
    for name in names:
        expected = json.loads((EXAMPLES / name / "expected.json").read_text())
        got = scores(root, name)
        for case, want in expected.items():
            if outcomes[name][case].status != "graded":
                problems.append(f"{name}/{case}: grading failed: {outcomes[name][case].reason}")
            elif got.get(case) != pytest.approx(want["score"]):
                problems.append(f"{name}/{case}: score {got.get(case)}, expected {want['score']}")
    assert not problems, "\n".join(problems)


def test_a_dead_kernel_is_reported_not_silent(course):
    root, _names, outcomes = course
    note = outcomes["clock"]["kernel_dies"].reason
    assert "kernel died" in note
    assert outcomes["clock"]["correct"].reason == ""


def test_feedback_shows_failures_and_transcripts_but_no_hidden_test_code(course):
    root, _names, _ = course
    nbgrader("generate_feedback", "clock", "--force", root=root)
    page = (root / "feedback" / "wrong_answer" / "clock" / "clock.html").read_text()
    assert "did not get a time.ctime() text" in page            # what failed
    assert "sends &#39;What is the time?" in page or "sends 'What is the time?" in page  # the transcript
    assert "The time is" in page                                 # what came back
    assert "BEGIN HIDDEN TESTS" not in page
    assert "waits_for_whole_question&quot;)" not in page and 'waits_for_whole_question")' not in page


def test_export_writes_grades_csv(course):
    root, names, _ = course
    target = root / "grades.csv"
    nbgrader("export", f"--to={target}", root=root)
    rows = list(csv.DictReader(target.open()))
    seed = next(r for r in rows if r["student_id"] == "seed_verbatim" and r["assignment"] == "clock")
    assert float(seed["score"]) == float(seed["max_score"]) == 10.0


def test_parallel_grades_equal_serial_nbgrader_autograde(course, tmp_path):
    root, _names, _ = course
    make_course(tmp_path, ["clock"])  # a second course: the fixture's stays untouched
    done = nbgrader("autograde", "clock", "--force", root=tmp_path, check=False, timeout=900)
    serial = scores(tmp_path, "clock")
    parallel = scores(root, "clock")
    assert serial == parallel, done.stderr[-2000:]


def test_interrupted_batch_resumes_and_a_student_can_be_regraded(tmp_path):
    make_course(tmp_path, ["clock"], students=["correct", "wrong_answer", "crashes_at_start"])
    state = batch.State(tmp_path, "clock")
    state.record(batch.Outcome("wrong_answer", "graded", "", 1.0))  # as if graded before a kill -9
    first = batch.grade(tmp_path, "clock", jobs=2, progress=False)
    assert {o.student for o in first} == {"correct", "wrong_answer", "crashes_at_start"}
    got = scores(tmp_path, "clock")
    assert "wrong_answer" not in got and got["correct"] == 10.0  # the recorded one was not graded again
    again = batch.grade(tmp_path, "clock", students=["wrong_answer"], jobs=1, progress=False)
    assert scores(tmp_path, "clock")["wrong_answer"] == 2.0
    assert [o.status for o in again] == ["graded"] * 3
