"""The class report: which spec points the class did not get, after a batch.

:func:`write_report` reads a course directory after ``nbgrader autograde``
(``python -m graders autograde`` or ``make demo``) and writes

* ``ROOT/report.html``: per assignment, every check (with the spec points it
  verifies) and how many submissions passed it, the most common reason it
  failed; per spec point, how many submissions passed all its checks; the
  distribution of scores; the slowest gradings; the failed gradings and the
  notes (a dead kernel...) with their reasons; one small matplotlib chart
  (inline SVG).  One static page: no JavaScript, no external assets.
* ``ROOT/check_results.csv``: one row per student, assignment and check:
  ``student, assignment, check, status, seconds`` (status is pass, fail, skip,
  error, or "not graded" when the submission's grading failed; seconds is the
  check's wall time), for an LMS or a spreadsheet.

Sources: the scores from nbgrader's gradebook (``nbgrader.api.Gradebook``,
``ROOT/gradebook.db``); every check's status, seconds and rationale from the
autograded notebooks' ``metadata.graders`` (written by
:class:`graders.grading.plugins.TrustedChecks`); the batch's outcome of each
submission (graded or failed, wall seconds) from ``ROOT/.graders/ASSIGNMENT.json``
(:mod:`graders.grading.batch`), when present.
"""
from __future__ import annotations

import argparse
import collections
import csv
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from graders import assignments

CSV_FIELDS = ("student", "assignment", "check", "status", "seconds")
SLOWEST = 5  # gradings listed as the slowest, per assignment
NOT_GRADED = "not graded"


@dataclass
class Submission:
    """One student's submission of one assignment, as graded."""

    student: str
    score: float | None = None  # None: not in the gradebook
    max_score: float | None = None
    status: str = "graded"  # "graded" or "failed" (the batch's word); "not graded" without either
    reason: str = ""  # why the grading failed, or a note on a graded one (the kernel died...)
    seconds: float | None = None  # the grading's wall time (batch), else the checks' time
    checks: dict[str, dict] = field(default_factory=dict)  # check name: {status, seconds, rationale}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _notebook_state(root: Path, assignment: str, student: str) -> dict | None:
    import nbformat
    found = None
    for path in sorted((root / "autograded" / student / assignment).glob("*.ipynb")):
        try:
            meta = nbformat.read(str(path), as_version=4).metadata.get("graders")
        except Exception:  # noqa: BLE001 - an unreadable notebook is reported as not graded
            continue
        if meta:
            found = found or {}
            found.setdefault("checks", {}).update(meta.get("check_details") or {
                key: {"status": value if isinstance(value, str) else value.get("status")}
                for key, value in meta.get("checks", {}).items()})
            found["grading_seconds"] = found.get("grading_seconds", 0.0) + meta.get("grading_seconds", 0.0)
            if meta.get("kernel"):
                found.setdefault("notes", []).append(meta["kernel"])
    return found


def collect(root: Path, assignment: str) -> list[Submission]:
    """Every submitted (or graded) student's :class:`Submission` of ``assignment``, by student id."""
    root = Path(root)
    students = {p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir()}
    scores: dict[str, tuple[float, float]] = {}
    if (root / "gradebook.db").exists():
        from nbgrader.api import Gradebook, MissingEntry
        with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
            try:
                scores = {s.student.id: (s.score, s.max_score) for s in gb.assignment_submissions(assignment)}
            except MissingEntry:
                scores = {}
    outcomes: dict[str, dict] = {}
    state = root / ".graders" / f"{assignment}.json"
    if state.exists():
        try:
            outcomes = json.loads(state.read_text())
        except ValueError:
            outcomes = {}
    students |= set(scores) | set(outcomes)
    found = []
    for student in sorted(students):
        sub = Submission(student)
        if student in scores:
            sub.score, sub.max_score = scores[student]
        meta = _notebook_state(root, assignment, student)
        outcome = outcomes.get(student, {})
        if outcome:
            sub.status, sub.reason = outcome.get("status", "graded"), outcome.get("reason", "")
            sub.seconds = outcome.get("seconds")
        elif meta is None or student not in scores:
            sub.status, sub.reason = NOT_GRADED, "no autograded notebook or no score in the gradebook"
        if meta is not None:
            prefix = f"{assignment}."
            sub.checks = {key[len(prefix):]: value for key, value in meta["checks"].items()
                          if key.startswith(prefix)}
            if sub.seconds is None:
                sub.seconds = meta.get("grading_seconds")
            if not sub.reason and meta.get("notes"):
                sub.reason = "; ".join(meta["notes"])
        if sub.status != "graded":
            sub.checks = {}
        found.append(sub)
    return found


def _rows(assignment: str, subs: list[Submission]) -> list[dict]:
    names = list(assignments.get(assignment).checks)
    rows = []
    for sub in subs:
        for name in names + sorted(set(sub.checks) - set(names)):
            detail = sub.checks.get(name)
            if detail is None and sub.status == "graded" and sub.checks:
                continue  # not run in this notebook (no test cell calls it)
            seconds = (detail or {}).get("seconds")
            rows.append({"student": sub.student, "assignment": assignment, "check": name,
                         "status": (detail or {}).get("status") or NOT_GRADED,
                         "seconds": "" if seconds is None else f"{seconds:.3f}"})
    return rows


def _chart(assignment: str, subs: list[Submission], counts: list[tuple[str, int, int]]) -> str:
    """Scores histogram and passes per check, side by side, as an inline SVG string."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    graded = [s for s in subs if s.status == "graded" and s.score is not None]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 0.9 + 0.28 * max(len(counts), 4)),
                                      gridspec_kw={"width_ratios": [1, 1.6]})
    try:
        top = max([s.max_score or 0 for s in graded] + [1])
        bins = [i - 0.5 for i in range(int(top) + 2)] if top <= 20 else 10  # one bar per point
        left.hist([s.score for s in graded], bins=bins,
                  color="#1565c0", edgecolor="white")
        left.yaxis.set_major_locator(MaxNLocator(integer=True))
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        left.set_xlabel("score (points)")
        left.set_ylabel("submissions")
        left.set_title(f"{assignment}: scores of {len(graded)} graded", fontsize=10)
        labels = [name for name, _, _ in counts][::-1]
        passed = [p for _, p, _ in counts][::-1]
        totals = [t for _, _, t in counts][::-1]
        right.barh(labels, totals, color="#ffcdd2")
        right.barh(labels, passed, color="#2e7d32")
        right.set_xlabel("submissions that passed (green) of those graded")
        right.set_title("passes per check", fontsize=10)
        right.tick_params(axis="y", labelsize=8)
        fig.tight_layout()
        out = io.StringIO()
        fig.savefig(out, format="svg")
    finally:
        plt.close(fig)
    text = out.getvalue()
    return text[text.index("<svg"):]


def _section(assignment: str, subs: list[Submission]) -> str:
    spec = assignments.get(assignment)
    graded = [s for s in subs if s.status == "graded"]
    parts = [f"<section id='{_e(assignment)}'><h2>{_e(spec.title)} (<code>{_e(assignment)}</code>)</h2>"]
    scored = [s for s in graded if s.score is not None]
    mean = sum(s.score for s in scored) / len(scored) if scored else 0.0
    top = max([s.max_score or 0 for s in scored] + [0])
    parts.append(f"<p>{len(subs)} submissions: {len(graded)} graded, {len(subs) - len(graded)} "
                 f"failed or not graded. Mean score {mean:.2f} of {top:g}.</p>")
    counts = []
    table = ["<table class='checks'><tr><th>check</th><th>spec</th><th>passed</th><th>failed</th>"
             "<th>skipped</th><th>grader error</th><th>most common reason it failed</th></tr>"]
    for name, check in spec.checks.items():
        ran = [s.checks[name] for s in graded if name in s.checks]
        tally = collections.Counter(d.get("status") for d in ran)
        reasons = collections.Counter(d.get("rationale") for d in ran
                                      if d.get("status") in ("fail", "error") and d.get("rationale"))
        if ran:
            counts.append((name, tally["pass"], len(ran)))
        common = ""
        if reasons:
            reason, times = reasons.most_common(1)[0]
            common = f"{_e(reason)} <span class='dim'>({times}×)</span>"
        share = tally["pass"] / len(ran) if ran else 0.0
        table.append(f"<tr class='check' data-check='{_e(name)}'><td>{_e(check.description)}"
                     f"{' <span class=dim>(hidden)</span>' if check.hidden else ''}<br><code>{_e(name)}</code></td>"
                     f"<td>{_e(', '.join(map(str, check.spec)) or '-')}</td>"
                     + (f"<td class='passed'><b>{tally['pass']}</b> of {len(ran)}"
                        f"<div class='bar'><div style='width:{share * 100:.0f}%'></div></div></td>" if ran else
                        "<td class='passed dim'>not run (no test cell calls it)</td>")
                     + f"<td>{tally['fail']}</td><td>{tally['skip']}</td><td>{tally['error']}</td>"
                     f"<td>{common}</td></tr>")
    table.append("</table>")
    if scored:
        parts.append(_chart(assignment, subs, counts))
    parts.append("<h3>Checks</h3>" + "".join(table))
    if spec.spec:
        rows = ["<table class='spec'><tr><th>spec point</th><th>submissions passing all its checks</th></tr>"]
        for point, text in spec.spec.items():
            names = [n for n, c in spec.checks.items() if point in c.spec]
            if not names:
                continue
            ok = sum(all(s.checks[n].get("status") == "pass" for n in names if n in s.checks)
                     and any(n in s.checks for n in names) for s in graded)
            rows.append(f"<tr><td>{point}. {_e(text)}</td><td>{ok} of {len(graded)}</td></tr>")
        parts.append("<h3>Spec points</h3>" + "".join(rows) + "</table>")
    histogram = collections.Counter(s.score for s in scored)
    parts.append("<h3>Scores</h3><table class='scores'><tr><th>score</th><th>submissions</th></tr>" + "".join(
        f"<tr><td>{score:g} / {top:g}</td><td>{n}</td></tr>" for score, n in sorted(histogram.items()))
        + "</table>")
    slow = sorted((s for s in subs if s.seconds is not None), key=lambda s: -s.seconds)[:SLOWEST]
    if slow:
        parts.append("<h3>Slowest gradings</h3><table><tr><th>student</th><th>seconds</th><th>score</th></tr>"
                     + "".join(f"<tr><td>{_e(s.student)}</td><td>{s.seconds:.1f}</td>"
                               f"<td>{'' if s.score is None else f'{s.score:g}'}</td></tr>" for s in slow)
                     + "</table>")
    troubled = [s for s in subs if s.status != "graded" or s.reason]
    if troubled:
        parts.append("<h3>Failed gradings and notes</h3><table class='failed'><tr><th>student</th><th>grading</th>"
                     "<th>reason</th></tr>" + "".join(
                         f"<tr class='{'failed' if s.status != 'graded' else 'note'}'><td>{_e(s.student)}</td>"
                         f"<td>{_e(s.status.upper() if s.status != 'graded' else 'graded, with a note')}</td>"
                         f"<td>{_e(s.reason)}</td></tr>" for s in troubled) + "</table>")
    parts.append("</section>")
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; font-size: 14px; margin: 20px; max-width: 1100px; }
table { border-collapse: collapse; margin: 6px 0 14px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f5; }
.dim { color: #757575; }
.bar { width: 90px; height: 6px; background: #ffcdd2; margin-top: 2px; }
.bar div { height: 6px; background: #2e7d32; }
tr.failed td { background: #fdecea; }
section { margin-bottom: 32px; }
"""


def write_report(root: Path, assignment_names: list[str]) -> Path:
    """Write ROOT/report.html and ROOT/check_results.csv for ``assignment_names``; returns report.html's path.

    Reads ROOT/gradebook.db, ROOT/autograded/*/ASSIGNMENT/*.ipynb and
    ROOT/.graders/ASSIGNMENT.json (see the module docstring).  Raises KeyError
    for an unknown assignment name.
    """
    root = Path(root)
    collected = {name: collect(root, name) for name in assignment_names}
    with open(root / "check_results.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for name, subs in collected.items():
            writer.writerows(_rows(name, subs))
    contents = "".join(f"<li><a href='#{_e(n)}'>{_e(n)}</a></li>" for n in collected)
    page = ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Class report</title>"
            f"<style>{STYLE}</style></head><body><h1>Class report</h1>"
            f"<p>Course directory <code>{_e(root.resolve())}</code>. Per check: how many graded submissions "
            f"passed it; per spec point: how many passed every check of it. Also as "
            f"<a href='check_results.csv'>check_results.csv</a>.</p><ul>{contents}</ul>"
            + "".join(_section(n, subs) for n, subs in collected.items()) + "</body></html>\n")
    out = root / "report.html"
    out.write_text(page, encoding="utf-8")
    return out


def assignments_in(root: Path) -> list[str]:
    """The assignments (in the workbook's order) that have submissions in the course ``root``."""
    return [n for n in assignments.available() if any((Path(root) / "submitted").glob(f"*/{n}"))]


def main(args: argparse.Namespace) -> int:
    """``python -m graders report [ASSIGNMENT...] --root DIR``."""
    root = Path(args.root)
    names = args.assignments or assignments_in(root)
    out = write_report(root, names)
    print(f"class report: {out}\nper check results: {root / 'check_results.csv'}")
    return 0
