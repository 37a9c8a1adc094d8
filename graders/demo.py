"""``make demo``: the whole nbgrader pipeline on the sample submissions.

1. a fresh course directory (``build/demo``) gets the sample submissions
   (``examples/submissions/STUDENT/ASSIGNMENT/``) as ``submitted/``;
2. ``nbgrader generate_assignment`` for every assignment in ``solutions/``
   that has samples;
3. :mod:`graders.grading.batch` autogrades every submission (nbgrader's Autograde in
   long-lived worker processes, one pool for every assignment);
4. ``nbgrader generate_feedback`` writes an HTML page per student and
   assignment (hidden test code removed; every check's transcript shown);
5. ``nbgrader export`` writes ``grades.csv``, and :mod:`graders.reports.class_report` the
   class report (``report.html``, ``check_results.csv``);
6. a table of scores per student, with every failure's reason.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import time
from pathlib import Path

from graders import assignments
from graders.grading.batch import default_jobs, grade, open_executor
from graders.course.paths import REPO, SOLUTIONS, nbgrader

EXAMPLES = REPO / "examples" / "submissions"


def demo_assignments() -> list[str]:
    return [name for name in assignments.available()
            if (SOLUTIONS / name).is_dir() and any(EXAMPLES.glob(f"*/{name}"))]


def main(args: argparse.Namespace) -> int:
    began = time.monotonic()
    root = (REPO / args.root).resolve() if not Path(args.root).is_absolute() else Path(args.root)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copytree(EXAMPLES, root / "submitted")
    names = demo_assignments()
    print(f"course directory: {root}")
    print(f"assignments: {', '.join(names)}")
    outcomes = {}
    for name in names:
        nbgrader("generate_assignment", name, "--force", root=root, release=root / "release")
    executor = open_executor(root, args.jobs or default_jobs())  # one pool of workers for every assignment
    try:
        for name in names:
            outcomes[name] = {o.student: o for o in grade(root, name, jobs=args.jobs, executor=executor)}
    finally:
        executor.close()
    for name in names:
        nbgrader("generate_feedback", name, "--force", root=root)
    csv_path = root / "grades.csv"
    nbgrader("export", f"--to={csv_path}", root=root)
    print()
    print_table(csv_path, names, outcomes)
    from graders.reports.gradescope import write_results
    for name in names:  # Gradescope's results.json per submission, beside grades.csv
        write_results(root, name, root / "exports")
    feedback = sorted((root / "feedback").glob("*/*/*.html"))
    from graders.reports.class_report import write_report
    report = write_report(root, names)
    print(f"\ngrades: {csv_path}")
    print(f"class report: {report}; per check: {root / 'check_results.csv'}")
    print(f"Gradescope results: {root / 'exports' / 'gradescope'}/ASSIGNMENT/STUDENT/results.json")
    print(f"feedback: {len(feedback)} HTML pages under {root / 'feedback'}/STUDENT/ASSIGNMENT/")
    print(f"wall time: {time.monotonic() - began:.1f} s")
    failed = [(n, o) for n, per in outcomes.items() for o in per.values() if o.status == "failed"]
    return 1 if any("grader error" in o.reason for _, o in failed) else 0


def print_table(csv_path: Path, names: list[str], outcomes: dict) -> None:
    """Scores per student and assignment; a failed grading shows as FAILED with its reason."""
    scores: dict[tuple[str, str], tuple[float, float, str]] = {}
    with open(csv_path, newline="") as f:
        for row in csv.DictReader(f):
            scores[(row["student_id"], row["assignment"])] = (
                float(row["score"]), float(row["max_score"]), row.get("timestamp", ""))
    students = sorted({s for per in outcomes.values() for s in per})
    width = max(len(s) for s in students) if students else 7
    cols = [max(len(n), 9) for n in names]
    print(f"{'student':<{width}}  " + "  ".join(f"{n:>{w}}" for n, w in zip(names, cols)))
    notes = []
    for student in students:
        cells = []
        for name, w in zip(names, cols):
            outcome = outcomes[name].get(student)
            if outcome is None:
                cells.append(f"{'-':>{w}}")
            elif outcome.status == "failed":
                cells.append(f"{'FAILED':>{w}}")
                notes.append(f"{student} / {name}: grading FAILED: {outcome.reason}")
            else:
                score, top, _ = scores.get((student, name), (0.0, 0.0, ""))
                cells.append(f"{f'{score:g}/{top:g}':>{w}}")
                if outcome.reason:
                    notes.append(f"{student} / {name}: {outcome.reason}")
        print(f"{student:<{width}}  " + "  ".join(cells))
    if notes:
        print("\nnotes:")
        for note in notes:
            print(f"  {note}")
    times = sorted(o.seconds for per in outcomes.values() for o in per.values())
    if times:
        print(f"\nautograde time per submission: median {times[len(times) // 2]:.1f} s, "
              f"worst {times[-1]:.1f} s ({len(times)} submissions)")
