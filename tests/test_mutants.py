"""The mutation corpus (tests/mutants/): every verdict right, every time (issue 9).

Every mutant must fail exactly the checks its header names, the first of which
declares the spec point it violates, and the check of generated scenarios (``explore``,
issue 21) must reject every mutant of the points it declares (unless an ``explore:
missed:`` header says why it cannot); every correct server must pass every check,
exploration included, in each of three runs, graded six at once (more than a loaded
batch does).  The whole
corpus is graded once, in one module fixture, and each file is its own test.
"""
from __future__ import annotations

import pytest

from mutants import corpus

CASES = corpus.load()
RUNS = 3
JOBS = 6  # gradings at once (more than the issue's 4): many mutants only wait out a deadline

# The first test grades the whole corpus (about 250 gradings) in the module fixture: minutes, not 300 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def graded():
    return corpus.grade(CASES, runs=RUNS, jobs=JOBS)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict(case, graded):
    reports = graded[case.name]
    assert len(reports) == (RUNS if case.correct else 1)
    issues = [f"run {i + 1}: {p}" for i, report in enumerate(reports) for p in corpus.problems(case, report)]
    assert not issues, f"{case.path.name} ({case.summary}):\n  " + "\n  ".join(issues)


def test_every_spec_point_has_a_check_and_a_mutant():
    from graders import assignments
    missing = []
    for name in assignments.NAMES:
        assignment = assignments.get(name)
        assert assignment.spec, f"{name}: Assignment(spec=...) is empty"
        for point in assignment.spec:
            if not any(point in c.spec for c in assignment.checks.values()):
                missing.append(f"{name} point {point}: no check")
            if not any(c.spec == point for c in CASES if c.assignment == name):
                missing.append(f"{name} point {point}: no mutant")
        styles = [c for c in CASES if c.assignment == name and c.correct]
        if len(styles) < 6:
            missing.append(f"{name}: {len(styles)} correct styles, 6 needed")
    assert not missing, "\n".join(missing)


def test_table_is_up_to_date():
    assert corpus.TABLE.exists(), "run: python tests/mutants/corpus.py --table docs/spec_coverage.md"
    assert corpus.TABLE.read_text(encoding="utf-8") == corpus.table(CASES), \
        "docs/spec_coverage.md is stale; run: python tests/mutants/corpus.py --table docs/spec_coverage.md"
