"""Benchmark: how long one submission's whole check suite takes (issue 10's first goal).

    python benchmarks/selfcheck.py [--assignments clock,swap] [--runs 10] [--serial]
                                   [--visible-only] [--failing]

For each assignment, runs ``python -m graders check A examples/A/correct.py --json``
(every check, hidden ones included, as the CLI does, but the exploration of generated
scenarios, which benchmarks/explore.py measures) ``--runs`` times, one after another,
and prints the median and worst wall time, the CPU seconds (the CLI process and every sandbox it started), and where a
grading spends its time, summed over its checks: starting sandboxes, waiting for
the server to listen, and the clients' conversations; and the goal (1.0 s, or the
longest wait a check must let pass plus 0.3 s) with "ok" when the median is within it.  ``--serial`` sets
``GRADERS_SERIAL=1`` (one check at a time, as before the checks ran at once), for a
before/after ratio.  Prints ratios and figures; it is not a test.

``--visible-only`` runs what a course's self-check runs (the visible checks);
without it, what self-study's self-check runs (every check: issue 23).
``--failing`` grades a failing submission instead (:data:`FAILING`: the
issue's buggy swap and secret word servers, a clock server that never
answers, a secret number server that forgets the found secret per client).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders import assignments  # noqa: E402


FAILING = {
    "clock": REPO / "examples" / "clock" / "never_answers.py",
    "swap": REPO / "benchmarks" / "failing" / "swap.py",
    "secret_number": REPO / "examples" / "secret_number" / "handler_state.py",
    "secret_word": REPO / "benchmarks" / "failing" / "secret_word.py",
}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one(name: str, serial: bool, visible_only: bool = False, failing: bool = False) \
        -> tuple[float, float, dict, bool]:
    """(wall seconds, CPU seconds, summed timings, all passed) of one CLI grading."""
    env = dict(os.environ)
    if serial:
        env["GRADERS_SERIAL"] = "1"
    submission = FAILING[name] if failing else REPO / "examples" / name / "correct.py"
    cpu, began = children_cpu(), time.monotonic()
    # Every check but the exploration of generated scenarios (its own budget: benchmarks/explore.py).
    only = [arg for check in assignments.get(name).checks if check != "explore" for arg in ("--only", check)]
    done = subprocess.run([sys.executable, "-m", "graders", "check", name, str(submission), "--json", *only,
                           *(["--visible-only"] if visible_only else [])],
                          capture_output=True, text=True, cwd=REPO, env=env, stdin=subprocess.DEVNULL)
    wall, cpu = time.monotonic() - began, children_cpu() - cpu
    report = json.loads(done.stdout)
    totals = {"sandbox_start": 0.0, "listen": 0.0, "clients": 0.0}
    for result in report["results"]:
        for key, value in result.get("timings", {}).items():
            totals[key] = totals.get(key, 0.0) + value
    slowest = max(report["results"], key=lambda r: r["seconds"])
    totals["slowest_check"] = f"{slowest['name']} {slowest['seconds']:.2f} s"
    return wall, cpu, totals, all(r["status"] == "pass" for r in report["results"])


def budget(name: str) -> float:
    """Issue 10's goal for the median wall time (seconds): 1.0, or the longest wait a check must let
    pass (``@check(waits=...)``) plus 0.3."""
    longest = max((c.waits for c in assignments.get(name).checks.values()), default=0.0)
    return max(1.0, longest + 0.3) if longest else 1.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", default="", help="comma-separated (default: all)")
    parser.add_argument("--runs", type=int, default=10, help="gradings per assignment (default 10)")
    parser.add_argument("--serial", action="store_true", help="one check at a time (GRADERS_SERIAL=1)")
    parser.add_argument("--visible-only", action="store_true", help="the visible checks only (a course)")
    parser.add_argument("--failing", action="store_true", help="grade a failing submission (FAILING)")
    args = parser.parse_args(argv)
    names = [n for n in args.assignments.split(",") if n] or list(assignments.NAMES)
    print(f"{'failing' if args.failing else 'correct'} submissions, "
          f"{'visible checks' if args.visible_only else 'every check'}; "
          f"{os.cpu_count()} CPUs; {args.runs} runs each; checks {'one at a time' if args.serial else 'at once'}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'assignment':<14} {'median':>8} {'worst':>8} {'CPU':>7} {'goal':>6}   per grading, summed over checks")
    ok = True
    for name in names:
        runs = [one(name, args.serial, args.visible_only, args.failing) for _ in range(args.runs)]
        walls = [r[0] for r in runs]
        cpus = [r[1] for r in runs]
        ok &= all(r[3] != args.failing for r in runs)
        start = statistics.median(r[2]["sandbox_start"] for r in runs)
        listen = statistics.median(r[2]["listen"] for r in runs)
        clients = statistics.median(r[2]["clients"] for r in runs)
        passed = sum(r[3] for r in runs)
        goal = budget(name)
        met = "ok" if statistics.median(walls) <= goal else "OVER"
        print(f"{name:<14} {statistics.median(walls):7.2f}s {max(walls):7.2f}s {statistics.median(cpus):6.2f}s "
              f"{goal:4.1f}s {met:>4}   "
              f"sandbox start {start:.2f} s, listen {listen:.2f} s, clients {clients:.2f} s; "
              f"slowest check {runs[-1][2]['slowest_check']}; all checks passed {passed}/{len(runs)}",
              flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
