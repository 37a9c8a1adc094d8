"""Grading is deterministic: the sample corpus gets the same verdicts every time, also under load.

The corpus is every examples/ASSIGNMENT/CASE.py listed in examples/ASSIGNMENT/expected.json.
One round grades all of it with run_checks, ``GRADERS_DETERMINISM_JOBS`` cases at a time in
threads (default: the CPU count, as graders.grading.batch does; each server has its own sandbox, so
that is safe).  The verdicts (every check's status) must be the same
in every round and match expected.json's passes.  Then the same again while 3 busy-loop
processes saturate the CPU (each ends by itself after a bounded time, and is killed at the end).

``GRADERS_DETERMINISM_RUNS`` sets the number of rounds of each kind (default 1, so that
``make test`` stays short; with 1, both rounds are left to what make test already does:
tests/test_examples.py grades the same corpus against the same expected.json, 4 at once, and
tests/test_mutants.py grades the much larger mutation corpus six at once on two cores, every correct
server three times; ``make soak`` runs the full 20 of each kind).
Measured on 2 CPUs with the 30-case corpus (4 assignments, the explore check included), 2 jobs,
beside another test run: about 75 s a round idle and 88 s with the CPU saturated, so 20 rounds
of each take about 55 minutes in all; GRADERS_DETERMINISM_RUNS=3 takes about 8.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
import time
from pathlib import Path

import psutil
import pytest
from conftest import wait_until

from graders import assignments
from graders.checking.checks import run_checks

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
RUNS = int(os.environ.get("GRADERS_DETERMINISM_RUNS", "1"))
# gradings at once: a batch's default (the CPU count); set it to the corpus size to stress
JOBS = int(os.environ.get("GRADERS_DETERMINISM_JOBS", "0")) or os.cpu_count() or 1
BUSY_PROCESSES = 3
BUSY_LIFETIME = 1800  # seconds a busy loop may live at most, even if this test is killed


def corpus() -> list[tuple[str, Path, dict]]:
    cases = []
    for expected_file in sorted(EXAMPLES.glob("*/expected.json")):
        name = expected_file.parent.name
        if name not in assignments.available():
            continue
        expected = json.loads(expected_file.read_text())
        for case, spec in sorted(expected.items()):
            path = expected_file.parent / f"{case}.py"
            if path.exists():
                cases.append((name, path, spec))
    return cases


CORPUS = corpus()


def grade_round() -> dict[str, object]:
    """Grade the whole corpus, JOBS cases at a time (threads), as a batch would.

    {case: ((check, status), ...)}, and under "why" {case: {check: rationale}} for the
    checks that did not pass (to explain a difference; not part of the verdict).
    """
    verdicts: dict[str, object] = {"why": {}}

    def grade(name: str, path: Path) -> None:
        key = f"{name}/{path.stem}"
        try:
            report = run_checks(assignments.get(name), path)
            verdicts[key] = tuple((r.name, r.status) for r in report.results)
            verdicts["why"][key] = {r.name: r.rationale for r in report.results if r.status != "pass"}
        except BaseException as exc:  # noqa: BLE001 - shown as the verdict
            verdicts[key] = f"raised {type(exc).__name__}: {exc}"

    todo = list(CORPUS)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not todo:
                    return
                name, path, _spec = todo.pop(0)
            grade(name, path)

    threads = [threading.Thread(target=worker, name=f"grader-{i}") for i in range(JOBS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(1800)
        assert not t.is_alive(), f"{t.name} did not end within 1800 s"
    return verdicts


def expected_verdicts() -> dict[str, tuple[tuple[str, str], ...]]:
    """What expected.json says: the listed checks pass; the others fail or are skipped."""
    return {f"{name}/{path.stem}": tuple(spec["passes"]) for name, path, spec in CORPUS}


def repeat(runs: int) -> tuple[list[dict], list[float]]:
    rounds, seconds = [], []
    for _ in range(runs):
        began = time.monotonic()
        rounds.append(grade_round())
        seconds.append(time.monotonic() - began)
    return rounds, seconds


def check_rounds(rounds: list[dict], label: str) -> None:
    """Every round's verdicts equal expected.json's and each other's; explain any difference."""
    problems = []
    expected = expected_verdicts()
    for index, verdicts in enumerate(rounds, start=1):
        for case, passes in expected.items():
            verdict = verdicts[case]
            if isinstance(verdict, str):
                problems.append(f"round {index}: {case}: {verdict}")
                continue
            got = tuple(name for name, status in verdict if status == "pass")
            odd = [f"{name}: {status} ({verdicts['why'][case].get(name)})" for name, status in verdict
                   if (name in passes) != (status == "pass") or status == "error"]
            if got != passes or odd:
                problems.append(f"round {index}: {case}: " + "; ".join(odd))
    for case in expected:  # the rounds agree with each other, also on fail vs skip
        seen = Counter(rounds[i][case] for i in range(len(rounds)))
        usual = seen.most_common(1)[0][0]
        for index, verdicts in enumerate(rounds, start=1):
            verdict = verdicts[case]
            if verdict != usual and not isinstance(verdict, str) and not isinstance(usual, str):
                was = dict(usual)
                changes = [f"{name}: {was.get(name)} -> {status} ({verdicts['why'][case].get(name)})"
                           for name, status in verdict if was.get(name) != status]
                problems.append(f"round {index}: {case} differs from the usual verdict: " + "; ".join(changes))
    assert not problems, f"{label}: {len(problems)} verdicts not as expected:\n" + "\n".join(problems)


def test_corpus_is_not_empty():
    assert CORPUS, "no examples/*/CASE.py with an expected.json entry"
    assert len({path.stem for _, path, _ in CORPUS}) >= 5


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_same_verdicts_every_time():
    if RUNS == 1:  # one idle round = what tests/test_examples.py already asserts (the corpus's verdicts)
        pytest.skip("one idle round is tests/test_examples.py's (the same corpus, 4 CLI gradings at once); "
                    "make soak (GRADERS_DETERMINISM_RUNS=20) runs the idle rounds")
    rounds, seconds = repeat(RUNS)
    print(f"\n{RUNS} rounds of {len(CORPUS)} cases: total {sum(seconds):.1f} s, "
          f"per round median {sorted(seconds)[len(seconds) // 2]:.1f} s, worst {max(seconds):.1f} s")
    check_rounds(rounds, "idle machine")


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_same_verdicts_with_the_cpu_saturated():
    if RUNS == 1:  # one round under load: tests/test_mutants.py grades a larger corpus 6 at once on 2 cores
        pytest.skip("one round under load is what tests/test_mutants.py does for a larger corpus (6 gradings "
                    "at once); make soak (GRADERS_DETERMINISM_RUNS=20) runs the rounds with the CPU saturated")
    busy = [subprocess.Popen([sys.executable, "-c",
                              f"import time\nend = time.monotonic() + {BUSY_LIFETIME}\n"
                              "while time.monotonic() < end:\n    pass\n"],
                             stdin=subprocess.DEVNULL)
            for _ in range(BUSY_PROCESSES)]
    try:
        # the load is really there: every busy loop is burning CPU time
        procs = [psutil.Process(p.pid) for p in busy]
        assert wait_until(lambda: all(p.cpu_times().user > 0.5 for p in procs), 30), \
            f"the busy loops do not load the CPU: {[p.cpu_times() for p in procs]}"
        rounds, seconds = repeat(RUNS)
        assert all(p.poll() is None for p in busy), "a busy loop ended during the test"
    finally:
        for proc in busy:
            proc.kill()
            proc.wait(10)
    print(f"\n{RUNS} rounds under load: total {sum(seconds):.1f} s, "
          f"per round median {sorted(seconds)[len(seconds) // 2]:.1f} s, worst {max(seconds):.1f} s")
    check_rounds(rounds, "CPU saturated")
