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

from graders.grading import batch
from graders.course.paths import nbgrader

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


def test_feedback_shows_each_transcript_once_and_loads_nothing_from_the_internet(course):
    """graders/reports/feedback.py: the diagram shown, the text folded; no CDN; no config warning."""
    import re
    root, _names, _ = course
    done = nbgrader("generate_feedback", "clock", "--force", root=root)
    assert "not recognized" not in done.stderr, done.stderr[-2000:]
    page = (root / "feedback" / "wrong_answer" / "clock" / "clock.html").read_text()
    assert not re.search(r'(src|href)="(https?:)?//', page), re.findall(r'(?:src|href)="(?:https?:)?//[^"]+', page)
    assert "cdnjs" not in page and "MathJax.Hub" not in page
    folds = page.count('<details class="graders-transcript-text">')
    diagrams = page.count('class="graders-sequence')
    assert folds >= 5 and diagrams >= 1, (folds, diagrams)  # a check not run has no diagram
    # the text of each transcript is there once, folded (not a stdout block above the diagram)
    assert "(the transcripts above, drawn as sequence diagrams)" not in page
    text_outside = re.sub(r'<details class="graders-transcript-text">.*?</details>', "", page, flags=re.S)
    assert "did not get a time.ctime() text" in page
    assert "    transcript:" in page and "    transcript:" not in text_outside  # the text version: folded only


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
    assert scores(tmp_path, "clock")["wrong_answer"] == 7.5
    assert [o.status for o in again] == ["graded"] * 3


# -- feedback you can see: the class report and the feedback pages in a real browser (tests/_browser.py)

from _browser import README_SHOTS, browser, needs_chromium, opened  # noqa: E402,F401 - browser is a fixture


@needs_chromium
def test_class_report_counts_each_check_and_draws_a_chart(browser, course):
    from graders.reports.class_report import write_report
    root, names, outcomes = course
    out = write_report(root, names)
    assert out == root / "report.html"
    with open(root / "check_results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"student", "assignment", "check", "status", "seconds"}
    status = {(r["student"], r["assignment"], r["check"]): r["status"] for r in rows}
    assert status[("correct", "clock", "answers_question")] == "pass"
    assert status[("wrong_answer", "clock", "answers_question")] == "fail"
    assert status[("wrong_answer", "clock", "uses_port")] == "pass"
    assert status[("crashes_at_start", "clock", "starts")] == "fail"
    assert {r["assignment"] for r in rows} == set(names)
    assert all(float(r["seconds"]) > 0 for r in rows if r["status"] in ("pass", "fail"))
    clock = [r for r in rows if r["assignment"] == "clock" and r["check"] == "answers_question"]
    passed = sum(r["status"] == "pass" for r in clock)
    graded = sum(o.status == "graded" for o in outcomes["clock"].values())
    with opened(browser, out, "report") as (tab, remote):
        row = tab.locator("section#clock tr.check[data-check='answers_question']")
        assert row.is_visible()
        assert row.locator("td.passed").text_content().startswith(f"{passed} of {graded}")
        # the most common reason it failed (wrong_answer and never_answers fail it once each)
        assert any(reason in row.text_content() for reason in
                   ("did not get a time.ctime() text", "closed the connection of client A without answering"))
        for name in names:
            chart = tab.locator(f"section#{name} svg").first
            assert chart.is_visible() and chart.bounding_box()["height"] > 100
        assert remote == []
        if README_SHOTS:
            Path(README_SHOTS).mkdir(parents=True, exist_ok=True)
            tab.locator("section#clock").screenshot(path=str(Path(README_SHOTS) / "report.png"))


@needs_chromium
def test_feedback_page_shows_the_diagram_without_javascript(browser, course):
    root, _names, _ = course
    page_path = root / "feedback" / "wrong_answer" / "clock" / "clock.html"
    if not page_path.exists():
        nbgrader("generate_feedback", "clock", "--force", root=root)
    with opened(browser, page_path, "feedback") as (tab, _remote):
        # nbgrader's page loads MathJax from a CDN: refused here, so the diagram must not need it
        failing = tab.locator("svg.graders-sequence rect.failing")
        assert failing.count() >= 1
        failing.last.scroll_into_view_if_needed()
        assert failing.last.is_visible()
        assert "A: receives 'The time is" in failing.last.locator("title").text_content()
        rationales = tab.locator("svg.graders-sequence text.rationale").all_text_contents()
        # answers_question's (the explore check's diagram, of generated scenarios, may follow it)
        assert any(text.endswith("did not get a time.ctime() text") for text in rationales), rationales
