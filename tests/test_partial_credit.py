"""Fair partial credit (issue 21, deliverable 6): one slip costs the points of its spec point, not the grade.

A check depends only on what it needs to verify its own point.  When the check
it depends on fails but the server still did what the dependents need (it
answered, only in the wrong form: ``Failure(..., dependents_run=True)``), they
run and judge their own points, reading replies tolerantly; a check that cannot
judge its point from what came raises ``CannotJudge`` and is skipped, with the
reason (graders/checking/checks.py).

The first tests pin the rule on made-up checks (no servers); the slow ones grade
"one slip" servers of every assignment (the corpus mutants whose only bug is the
form of a reply) and require that only the checks of that spec point fail, and a
server with two slips, to show a dependent still fails for its own point.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

from graders import assignments
from graders.checking.checks import Assignment, CannotJudge, Failure, run_checks

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "mutants"


# -- the rule, on made-up checks -------------------------------------------------------------------

def made_up(first_fails: Failure | None, *, cannot_judge: bool = False) -> Assignment:
    """``answers`` (raises ``first_fails``) <- ``closes`` (passes, or cannot judge) <- ``after``."""
    made = Assignment("made_up", title="made up", answer_file="x.py", spec={1: "answers", 2: "closes"})

    @made.check("answers", spec=1)
    def answers(run):
        if first_fails is not None:
            raise first_fails

    @made.check("closes after answering", depends="answers", spec=2)
    def closes(run):
        if cannot_judge:
            raise CannotJudge("the answer holds no time")

    @made.check("goes on after closing", depends="closes", spec=2)
    def after(run):
        pass

    return made


@pytest.fixture
def no_zygote(monkeypatch):
    import graders.sandbox
    monkeypatch.setattr(graders.sandbox, "prewarm", lambda path=None: None)


def statuses(report) -> dict[str, str]:
    return {r.name: r.status for r in report.results}


@pytest.mark.parametrize("concurrent", [False, True], ids=["in_order", "at_once"])
def test_a_slip_lets_the_dependents_run(no_zygote, tmp_path, concurrent):
    slip = Failure("the answer ends with a newline", dependents_run=True)
    report = run_checks(made_up(slip), tmp_path / "x.py", concurrent=concurrent)
    assert statuses(report) == {"answers": "fail", "closes": "pass", "after": "pass"}


@pytest.mark.parametrize("concurrent", [False, True], ids=["in_order", "at_once"])
def test_a_failure_that_is_no_slip_skips_the_dependents(no_zygote, tmp_path, concurrent):
    report = run_checks(made_up(Failure("no answer came")), tmp_path / "x.py", concurrent=concurrent)
    assert statuses(report) == {"answers": "fail", "closes": "skip", "after": "skip"}
    assert "needs \"answers\" to pass first" in report.result("closes").rationale


@pytest.mark.parametrize("concurrent", [False, True], ids=["in_order", "at_once"])
def test_a_check_that_cannot_judge_its_point_is_skipped_with_the_reason(no_zygote, tmp_path, concurrent):
    slip = Failure("the answer is not a time", dependents_run=True)
    report = run_checks(made_up(slip, cannot_judge=True), tmp_path / "x.py", concurrent=concurrent)
    assert statuses(report) == {"answers": "fail", "closes": "skip", "after": "skip"}
    assert report.result("closes").rationale == "not checked: the answer holds no time"


# -- one slip, graded: only the checks of its spec point fail --------------------------------------

ONE_SLIP = {  # (assignment, server): (spec point of the slip, the checks that fail, explore aside)
    ("clock", "mutants/clock/p3_newline.py"): (3, {"answers_question"}),
    ("clock", "mutants/clock/p3_json.py"): (3, {"answers_question"}),
    # The time itself wrong: the checks of point 3 fail, those of closing and serving on pass.
    ("clock", "mutants/clock/p3_utc.py"): (3, {"answers_question", "time_when_asked"}),
    # Drops the newline (and trailing spaces: rstrip()): the checks of the exact bytes fail.
    ("swap", "mutants/swap/p4_no_newline.py"): (4, {"swaps", "exact_bytes"}),
    ("secret_number", "mutants/secret_number/p4_capitalised.py"): (4, {"answers_guesses"}),
    ("secret_word", "mutants/secret_word/p4_no_charset.py"): (4, {"content_type"}),
}
# Two slips: the newline (point 3) and a connection kept open (point 4, judged although the
# check closes_connection depends on, answers_question, failed).
TWO_SLIPS = ("clock", "partial_credit/clock_newline_keeps_open.py")
# No answer at all: the dependents cannot judge their points and are skipped, as before.
NO_ANSWER = ("clock", "mutants/clock/p2_readline.py")


@pytest.fixture(scope="module")
def graded():
    reports = {}

    def grade(key):
        name, server = key
        reports[key] = run_checks(assignments.get(name), HERE / server)

    keys = [*ONE_SLIP, TWO_SLIPS, NO_ANSWER]
    threads = [threading.Thread(target=grade, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    return reports


def failed(report) -> set[str]:
    return {r.name for r in report.results if r.status == "fail" and r.name != "explore"}


@pytest.mark.slow
@pytest.mark.parametrize("key", list(ONE_SLIP), ids=[f"{k[0]}-{Path(k[1]).stem}" for k in ONE_SLIP])
def test_one_slip_costs_only_its_spec_point(key, graded):
    point, fails = ONE_SLIP[key]
    report = graded[key]
    everything = "\n" + report.render(transcripts="none")
    assert failed(report) == fails, everything
    assert all(r.status == "pass" for r in report.results if r.name not in fails and r.name != "explore"), \
        everything  # nothing skipped: every other point was judged, and holds
    for result in report.results:
        if result.status == "fail":
            assert point in result.spec, everything  # explore too: it names the point it saw broken
    assignment = assignments.get(key[0])
    kept = sum(r.passed for r in report.results)
    assert kept >= len(assignment.checks) - len(fails) - 1, everything  # most of the points


@pytest.mark.slow
def test_a_dependent_still_fails_for_its_own_point(graded):
    report = graded[TWO_SLIPS]
    everything = "\n" + report.render(transcripts="none")
    assert failed(report) == {"answers_question", "closes_connection"}, everything
    assert report.result("answers_question").dependents_run, everything
    closes = report.result("closes_connection")
    assert "kept the connection open" in closes.rationale, everything
    assert closes.spec == [4]


@pytest.mark.slow
def test_no_answer_at_all_still_skips_what_needs_one(graded):
    report = graded[NO_ANSWER]
    everything = "\n" + report.render(transcripts="none")
    assert report.result("answers_question").status == "fail", everything
    assert not report.result("answers_question").dependents_run
    for name in ("closes_connection", "several_clients", "silent_client", "abrupt_client"):
        assert report.result(name).status == "skip", everything
