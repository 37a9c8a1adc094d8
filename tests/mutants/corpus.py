"""The mutation corpus: the grader's own test set (issue 9).

For every numbered spec point of every assignment, ``tests/mutants/ASSIGNMENT/``
holds student-like servers that violate that point (``pN_slug.py``), and correct
servers written in many styles (``correct_style.py``).  Each file starts with a
module docstring whose first line says what the student did, ending in headers::

    spec: 3                                   (mutants: the point it violates)
    fails: answers_question, several_clients  (mutants: EXACTLY the checks that must fail)
    correct: socketserver.ThreadingTCPServer  (correct servers: the style)
    explore: missed: WHY                      (mutants the explorer cannot reject, and why)

The check of generated scenarios (``explore``, graders.checking.explore) is not named in
``fails``: it must reject every mutant of the spec points it declares, unless an
``explore: missed: WHY`` header says why it cannot (tests/test_mutants.py).  A mutant
that only the explorer rejects says ``fails: explore``: every scripted check passes it.

A mutant is rejected correctly when the checks whose status is "fail" are
exactly its ``fails`` (the others pass or are skipped) and the first of them
declares point N in its ``spec=``.  A correct server must pass every check, in
every run.

Usage (from the repository root)::

    python tests/mutants/corpus.py [ASSIGNMENT ...] [--runs 3] [--jobs 4]
    python tests/mutants/corpus.py --table docs/spec_coverage.md   # write the coverage table

The table ends with the generated mutants' scores (generate.py, issue 21), read
from the results that ``make mutation`` recorded in tests/mutants/generated/.

tests/test_mutants.py grades the whole corpus (correct servers three times,
four gradings at once) and checks that docs/spec_coverage.md is up to date.
"""
from __future__ import annotations

import argparse
import ast
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from graders import assignments  # noqa: E402
from graders.checking.checks import Report, run_checks  # noqa: E402

TABLE = REPO / "docs" / "spec_coverage.md"
EXPLORERS = ("explore",)  # the checks of generated scenarios: not in a mutant's exact `fails:`


@dataclass
class Case:
    """One server file of the corpus and what the grader must say about it."""

    path: Path
    assignment: str
    summary: str
    spec: int | None = None  # the point a mutant violates; None for a correct server
    fails: list[str] = field(default_factory=list)
    style: str = ""  # a correct server's style
    explore_missed: str = ""  # why the explorer cannot reject this mutant ("explore: missed: WHY")

    @property
    def correct(self) -> bool:
        return self.spec is None

    @property
    def name(self) -> str:
        return f"{self.assignment}/{self.path.stem}"


def parse(path: Path, assignment: str) -> Case:
    """Read a corpus file's docstring headers; raises ValueError when they are missing or wrong."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    lines = [line.strip() for line in doc.splitlines()]
    if not lines or not lines[0]:
        raise ValueError(f"{path}: no docstring saying what the student did")
    headers = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep and key in ("spec", "fails", "correct", "explore"):
            headers[key] = value.strip()
    case = Case(path, assignment, lines[0])
    if path.stem.startswith("correct"):
        if "correct" not in headers or "fails" in headers:
            raise ValueError(f"{path}: a correct server needs 'correct: STYLE' and no 'fails:'")
        case.style = headers["correct"]
        return case
    if "spec" not in headers or "fails" not in headers:
        raise ValueError(f"{path}: a mutant needs 'spec: N' and 'fails: CHECK, ...'")
    case.spec = int(headers["spec"])
    if "explore" in headers:
        note = headers["explore"]
        if not note.startswith("missed:") or not note[len("missed:"):].strip():
            raise ValueError(f"{path}: write 'explore: missed: WHY'")
        case.explore_missed = note[len("missed:"):].strip()
    case.fails = [name.strip() for name in headers["fails"].split(",") if name.strip()]
    if not path.stem.startswith(f"p{case.spec}_"):
        raise ValueError(f"{path}: a mutant of spec point {case.spec} is named p{case.spec}_...")
    return case


def load(names: list[str] | None = None) -> list[Case]:
    """Every corpus file of the named assignments (default: all), in name order."""
    cases = []
    for assignment in names or assignments.NAMES:
        folder = HERE / assignment
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
            cases.append(parse(path, assignment))
    return cases


def problems(case: Case, report: Report) -> list[str]:
    """What is wrong with the grader's verdict on ``case`` (empty when it is right)."""
    found = []
    errors = [r.name for r in report.results if r.status == "error"]
    if errors:
        found.append(f"grader errors in {', '.join(errors)}")
    if case.correct:
        failed = [r for r in report.results if r.status != "pass"]
        for r in failed:
            found.append(f"a correct server got {r.status} in {r.name}: {r.rationale}")
        return found
    assignment = assignments.get(case.assignment)
    unknown = [name for name in case.fails if name not in assignment.checks]
    if unknown:
        return found + [f"header names unknown checks: {', '.join(unknown)}"]
    # The explorer (graders.checking.explore) may reject a mutant too, whatever check it names;
    # tests/test_explore.py holds it to its own account.
    failed = {r.name for r in report.results if r.status == "fail" and r.name not in EXPLORERS}
    scripted = {name for name in case.fails if name not in EXPLORERS}  # `fails: explore`: no scripted check
    if failed != scripted:
        missing, extra = sorted(scripted - failed), sorted(failed - scripted)
        if missing:
            found.append(f"should fail but did not: {', '.join(missing)} "
                         f"({', '.join(report.result(n).status for n in missing)})")
        if extra:
            found.append(f"failed unexpectedly: {', '.join(extra)}")
    first = assignment.checks[case.fails[0]]
    if case.spec not in first.spec:
        found.append(f"{first.name} does not declare spec point {case.spec} (it declares {list(first.spec)})")
    return found + explore_problems(case, report)


def explore_problems(case: Case, report: Report) -> list[str]:
    """What is wrong with the explorer's verdict on ``case`` (empty when it is right).

    A mutant of a spec point the ``explore`` check declares must fail it, unless its
    ``explore: missed:`` header says why not (and then it must not fail it: the note is stale).
    """
    if case.correct or not any(r.name in EXPLORERS for r in report.results):
        return []
    result = next(r for r in report.results if r.name in EXPLORERS)
    if case.spec not in assignments.get(case.assignment).checks[result.name].spec:
        return []
    if case.explore_missed:
        return [f"the explorer rejects it now (spec point {result.spec}): drop its 'explore: missed:' header"] \
            if result.status == "fail" else []
    if result.status != "fail":
        return [f"the explorer did not reject it ({result.status}): a scenario that shows the bug is missing, "
                f"or add 'explore: missed: WHY'"]
    return []


def grade(cases: list[Case], *, runs: int = 3, jobs: int = 4) -> dict[str, list[Report]]:
    """Grade every case (correct servers ``runs`` times), ``jobs`` gradings at once."""
    work = [case for case in cases for _ in range(runs if case.correct else 1)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        reports = list(pool.map(lambda c: run_checks(assignments.get(c.assignment), c.path), work))
    graded: dict[str, list[Report]] = {}
    for case, report in zip(work, reports):
        graded.setdefault(case.name, []).append(report)
    return graded


def table(cases: list[Case]) -> str:
    """The spec point -> checks -> mutants table, as Markdown."""
    out = ["# Spec coverage: spec point → checks → mutants", "",
           "Generated by `python tests/mutants/corpus.py --table docs/spec_coverage.md` from the checks'",
           "`spec=` declarations and the corpus in `tests/mutants/` (issue 9); tests/test_mutants.py fails",
           "when it is out of date, and grades every mutant and correct server listed here.", "",
           "| assignment | spec points | checks | mutants | correct variants |", "| --- | ---: | ---: | ---: | ---: |"]
    sections = []
    for name in assignments.NAMES:
        assignment = assignments.get(name)
        mine = [c for c in cases if c.assignment == name]
        mutants = [c for c in mine if not c.correct]
        correct = [c for c in mine if c.correct]
        out.append(f"| {name} | {len(assignment.spec)} | {len(assignment.checks)} | {len(mutants)} | {len(correct)} |")
        sections += ["", f"## {name}", "", "| point | spec | checks | mutants (the check named first must fail) |",
                     "| ---: | --- | --- | --- |"]
        for point, text in sorted(assignment.spec.items()):
            checks = [c.name for c in assignment.checks.values() if point in c.spec]
            killers = [f"`{c.path.stem}` ({c.fails[0]})" for c in mutants if c.spec == point]
            sections.append(f"| {point} | {text} | {', '.join(f'`{c}`' for c in checks) or '**none**'} | "
                            f"{', '.join(killers) or '**none**'} |")
        undeclared = [c.name for c in assignment.checks.values() if not c.spec]
        if undeclared:
            sections.append(f"\nChecks without a spec point: {', '.join(undeclared)}.")
        explorer = next((c for c in assignment.checks.values() if c.name in EXPLORERS), None)
        if explorer is not None:
            covered = [c for c in mutants if c.spec in explorer.spec]
            missed = [c for c in covered if c.explore_missed]
            sections += ["", f"The explorer (`{explorer.name}`, generated scenarios judged by the spec's model, "
                             f"points {', '.join(map(str, explorer.spec))}) must reject "
                             f"{len(covered) - len(missed)} of the {len(covered)} mutants of its points"
                         + (": it cannot reject " + "; ".join(f"`{c.path.stem}` ({c.explore_missed})"
                                                             for c in missed) if missed else "") + "."]
        if correct:
            sections += ["", "Correct servers: " + "; ".join(f"`{c.path.stem}` ({c.style})" for c in correct) + "."]
    return "\n".join(out + sections) + "\n" + _generated_section()


def _generated_section() -> str:
    """The mutation score of the generated mutants (generate.py's last recorded run), if any."""
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))
    from mutants import generate
    meta = {}
    if generate.RESULTS.exists():
        import json
        meta = json.loads(generate.RESULTS.read_text(encoding="utf-8"))["meta"]
    return generate.table(generate.load_results(), generate.load_judged(), meta)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: all")
    parser.add_argument("--runs", type=int, default=3, help="gradings of each correct server (default 3)")
    parser.add_argument("--jobs", type=int, default=4, help="gradings at once (default 4)")
    parser.add_argument("--only", action="append", help="only corpus files with this stem (repeatable)")
    parser.add_argument("--table", metavar="PATH", help="write the coverage table instead of grading")
    args = parser.parse_args(argv)
    if args.table:
        Path(args.table).write_text(table(load()), encoding="utf-8")
        print(f"wrote {args.table}")
        return 0
    cases = load(args.assignments or None)
    if args.only:
        cases = [c for c in cases if c.path.stem in args.only]
    graded = grade(cases, runs=args.runs, jobs=args.jobs)
    wrong = 0
    for case in cases:
        issues = [p for report in graded[case.name] for p in problems(case, report)]
        wrong += bool(issues)
        mark = "ok   " if not issues else "WRONG"
        what = "correct" if case.correct else f"spec {case.spec}"
        print(f"{mark} {case.name:<40} {what:<8} {case.summary}")
        for issue in dict.fromkeys(issues):
            print(f"        {issue}")
    print(f"\n{len(cases) - wrong} of {len(cases)} verdicts right")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
