"""Every sample server gets exactly its expected verdicts from the CLI.

examples/ASSIGNMENT/expected.json names, per case, the checks that pass and
the score nbgrader must give (tests/test_autograde.py checks the score).
"""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from graders import assignments
from graders.checking import answers

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def cases():
    for expected in sorted(EXAMPLES.glob("*/expected.json")):
        name = expected.parent.name
        for case, want in json.loads(expected.read_text()).items():
            yield pytest.param(name, case, want, id=f"{name}-{case}")


JOBS = 4  # CLI gradings at once, as a student's and a batch's may run side by side (the corpus in ~1/3 the time)


def _cli(assignment: str, case: str) -> subprocess.CompletedProcess:
    source = EXAMPLES / assignment / f"{case}.py"
    if not source.exists():  # untouched_stub: grade the released notebook itself
        source = EXAMPLES / "submissions" / case / assignment / f"{assignment}.ipynb"
    return subprocess.run([sys.executable, "-m", "graders", "check", assignment, str(source), "--json"],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def graded():
    """{(assignment, case): the CLI's completed process}: the whole corpus, JOBS gradings at once."""
    todo = [(p.values[0], p.values[1]) for p in cases()]
    with ThreadPoolExecutor(JOBS) as pool:
        return dict(zip(todo, pool.map(lambda key: _cli(*key), todo)))


@pytest.mark.parametrize("assignment,case,want", list(cases()))
def test_cli_verdicts(assignment, case, want, graded):
    done = graded[assignment, case]
    report = json.loads(done.stdout)
    passes = [r["name"] for r in report["results"] if r["status"] == "pass"]
    assert sorted(passes) == sorted(want["passes"]), "\n" + done.stdout
    assert not [r for r in report["results"] if r["status"] == "error"], "grader error:\n" + done.stdout
    all_pass = len(passes) == len(assignments.get(assignment).checks)
    assert done.returncode == (0 if all_pass else 1)


@pytest.mark.parametrize("assignment,case,want", list(cases()))
def test_sample_notebook_holds_the_case_file(assignment, case, want):
    notebook = EXAMPLES / "submissions" / case / assignment / f"{assignment}.ipynb"
    assert notebook.exists(), "run python examples/build.py"
    source = EXAMPLES / assignment / f"{case}.py"
    if source.exists():
        nb = nbformat.read(str(notebook), as_version=4)
        answer = answers.answer_source(nb, assignments.get(assignment).answer_file)
        assert answer.rstrip() == source.read_text().rstrip()


def test_seed_clock_server_is_the_seed_verbatim():
    """The seed's clockserver.py (002) is graded as it is: its lines appear in the seed, in order."""
    seed = next((REPO.parent / "shared" / "seeds").glob("002_*.txt"), None)
    if seed is None:
        pytest.skip("../shared/seeds is not beside this checkout")
    seed_lines = [line.strip() for line in seed.read_text().splitlines() if line.strip()]
    ours = [line.strip() for line in (EXAMPLES / "clock" / "seed_verbatim.py").read_text().splitlines()
            if line.strip()]
    start = seed_lines.index(ours[0])
    window = seed_lines[start:]
    position = 0
    for line in ours:
        position = window.index(line, position) + 1  # ValueError: a line the seed does not have
