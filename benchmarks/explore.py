"""Benchmark: what the check of generated scenarios (graders.checking.explore) costs per submission.

    python benchmarks/explore.py [--assignments clock,swap] [--runs 5] [--file PATH]

For each assignment that has an ``explore`` check, runs
``python -m graders check A examples/A/correct.py --only explore --json`` ``--runs``
times, one after another, and the same with ``--only starts`` (the check it depends on,
which it brings along), and prints the median and worst wall time and CPU seconds (the CLI
process and every sandbox it started) of the exploration itself (the difference), the
scenarios per grading, and issue 21's budget: 10 s of wall time and 2 s of CPU per
submission at autograde on a 2-core machine ("ok" when the medians are within it).
Prints figures; it is not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders import assignments  # noqa: E402

WALL_BUDGET = 10.0  # seconds per submission at autograde (issue 21)
CPU_BUDGET = 2.0  # CPU seconds per submission at autograde (issue 21)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one(name: str, path: Path, check: str) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds, the check's result) of one CLI grading of ``check`` alone."""
    cpu, began = children_cpu(), time.monotonic()
    done = subprocess.run([sys.executable, "-m", "graders", "check", name, str(path), "--only", check, "--json"],
                          capture_output=True, text=True, cwd=REPO, stdin=subprocess.DEVNULL)
    wall, cpu = time.monotonic() - began, children_cpu() - cpu
    report = json.loads(done.stdout)
    return wall, cpu, next(r for r in report["results"] if r["name"] == check)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", default="", help="comma-separated (default: all with an explore check)")
    parser.add_argument("--runs", type=int, default=5, help="gradings per assignment (default 5)")
    parser.add_argument("--file", help="grade this server file instead of examples/A/correct.py")
    args = parser.parse_args(argv)
    names = [n for n in args.assignments.split(",") if n] or \
        [n for n in assignments.NAMES if "explore" in assignments.get(n).checks]
    print(f"{os.cpu_count()} CPUs; {args.runs} runs each; load average {os.getloadavg()[0]:.2f}; "
          f"budget {WALL_BUDGET:g} s wall, {CPU_BUDGET:g} s CPU per submission")
    print(f"{'assignment':<14} {'wall med':>8} {'worst':>7} {'CPU med':>8} {'worst':>7} {'scenarios':>9}  verdicts")
    ok = True
    for name in names:
        path = Path(args.file) if args.file else REPO / "examples" / name / "correct.py"
        base = [one(name, path, "starts") for _ in range(args.runs)]
        runs = [one(name, path, "explore") for _ in range(args.runs)]
        base_wall = statistics.median(b[0] for b in base)
        base_cpu = statistics.median(b[1] for b in base)
        walls = [r[0] - base_wall for r in runs]
        cpus = [r[1] - base_cpu for r in runs]
        scenarios = []
        for _, _, result in runs:
            found = re.search(r"(\d+) generated scenarios?", " ".join(result["transcript"]))
            scenarios.append(int(found.group(1)) if found else 0)
        verdicts = sorted({r[2]["status"] for r in runs})
        met = statistics.median(walls) <= WALL_BUDGET and statistics.median(cpus) <= CPU_BUDGET
        ok &= met
        print(f"{name:<14} {statistics.median(walls):7.2f}s {max(walls):6.2f}s {statistics.median(cpus):7.2f}s "
              f"{max(cpus):6.2f}s {statistics.median(scenarios):9g}  {','.join(verdicts)} "
              f"{'ok' if met else 'OVER'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
