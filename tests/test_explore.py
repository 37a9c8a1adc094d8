"""The scenario explorer (graders/checking/explore.py) on real sandboxed servers.

tests/test_models.py tests the spec models alone; tests/test_mutants.py runs the explorer over
the whole hand-written corpus (every mutant of its points rejected, every correct server
accepted, three runs, six gradings at once).  Here: the explorer's own promises, on a few
servers: a regrade gives the same verdict and the same counterexample; a failure names its
spec point and carries the minimal scenario's transcript; a correct server passes.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from graders import assignments
from graders.assignments.scenarios import clock as clock_scenarios
from graders.checking import explore
from graders.checking.checks import run_checks

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "mutants"
CLOCK = assignments.get("clock")


def test_the_seed_is_the_assignment_and_the_submissions_content():
    assert explore.seed_of("clock", b"x") == explore.seed_of("clock", b"x")
    assert explore.seed_of("clock", b"x") != explore.seed_of("clock", b"y")
    assert explore.seed_of("clock", b"x") != explore.seed_of("swap", b"x")


def test_scenarios_are_hashable_and_describe_themselves():
    scenario = explore.Scenario([explore.Step.connect("A"), explore.Step.send("A", b"hi"),
                                 explore.Step.pause(explore.TICK), explore.Step.fin("A")], env={"X": "1"})
    assert hash(scenario) == hash(explore.Scenario(scenario.steps, env=(("X", "1"),)))
    assert scenario.describe() == ["environment: X='1'", "A connects", "A sends 'hi' (2 bytes)",
                                   "pause until the next whole second", "A shuts down its sending side (FIN)"]
    assert scenario.clients == 1


def test_a_regrade_gives_the_same_verdict_and_the_same_counterexample():
    path = CORPUS / "clock" / "p2_single_recv.py"  # found by a generated scenario, then shrunk
    # Shrinking bounded by its count of runs alone (the wall-time valve could cut it short under load).
    explorer = dataclasses.replace(clock_scenarios.EXPLORER, wall=600.0)
    first = explore.explore(CLOCK, explorer, path)
    second = explore.explore(CLOCK, explorer, path)
    assert first.violation is not None and first.violation.point == 2
    assert second.scenario == first.scenario  # (what came back holds the time of day: compare the rest)
    assert (second.violation.point, second.violation.rationale) == (first.violation.point,
                                                                    first.violation.rationale)
    assert first.scenario.steps[-1].kind == "send"  # the steps after the violation are not shown


def test_a_failure_names_its_spec_point_and_shows_the_minimal_scenario():
    report = run_checks(CLOCK, CORPUS / "clock" / "p3_newline.py", only=["explore"])
    result = report.result("explore")
    assert result.status == "fail" and result.spec == [3]
    assert "1 more byte" in result.rationale and "smallest scenario" in result.rationale
    assert "newline" in result.help
    assert any("receives" in line for line in result.transcript)
    assert result.events and result.failed_step is not None


@pytest.mark.parametrize("name, path", [("clock", "correct_threads_raw"), ("swap", "correct_selectors"),
                                        ("secret_number", "correct_asyncio"),
                                        ("secret_word", "correct_http_server")])
def test_a_correct_server_passes(name, path):
    report = run_checks(assignments.get(name), CORPUS / name / f"{path}.py", only=["explore"])
    result = report.result("explore")
    assert result.status == "pass", result.render()
    assert any("generated scenarios" in line for line in result.transcript)


def test_the_explore_check_is_hidden_and_depends_only_on_starts():
    for name in assignments.NAMES:
        check = assignments.get(name).checks["explore"]
        assert check.hidden and check.depends == "starts" and check.spec
