"""Generated mutants: the grader measured on bugs nobody chose (issue 21, deliverable 5).

The hand-written corpus (corpus.py) proves each check against the bugs its
author thought of.  Here a tool, not a person, picks the bugs: cosmic-ray's
mutation operators (https://cosmic-ray.readthedocs.io, used as a library, not
through its CLI, session database and test-command runner) enumerate every
mutation point of every correct server of the corpus (``correct_*.py``), and
each mutant is written out as source text and graded by the real grader
(``python -m graders check ASSIGNMENT FILE --json``), in a child process with a
deadline, ``--jobs`` at once.

Enumeration (deterministic: no randomness, sorted inputs):

* the operators are cosmic-ray's core operators, restricted to those that
  change what a server does and to one replacement per operator symbol in the
  manner of mutmut (``==`` → ``!=``, ``+`` → ``-``, ``<`` → ``<=`` and ``>=``,
  ...): see :data:`OPERATORS`.  Its two operators that take arguments and draw
  random numbers (VariableReplacer, VariableInserter) are left out.
* a mutant that does not compile is *incompetent* and is dropped; one whose
  syntax tree equals its base's, or equals an earlier mutant's of the same base,
  is dropped as a duplicate.
* ExceptionReplacer's mutants name ``CosmicRayTestingException`` in an
  ``except`` clause, as cosmic-ray does; it is left undefined, so the handler
  never catches: the mutant is "the student forgot the try/except".

Classification of a graded mutant:

* ``killed``: some check fails (or the grading outlived the deadline: ``timeout``);
* ``survived``: every check passes, in each of :data:`SURVIVOR_RUNS` gradings
  (a mutant killed in only some of them is ``flaky``: a bug that passes by
  luck, a grader's miss as much as a survivor);
* ``incompetent``: does not compile (not graded).

A survivor is judged by a person, in ``generated/judged.toml``: ``equivalent``
(with the reason: a log message, a buffer size that changes nothing, dead
code) or ``missed`` (with a one-line description of the bug the grader let
through).  The mutation score of an assignment is killed / (graded −
equivalent).  Missed survivors are written to ``generated/survivors.json``
(assignment, base, operator, line, diff): the scenario explorer's input.

Usage (from the repository root; ``make mutation``)::

    python tests/mutants/generate.py                  # grade every mutant, write generated/*.json, the doc table
    python tests/mutants/generate.py --list           # enumerate only: one line per mutant
    python tests/mutants/generate.py clock --jobs 2 --deadline 120
    python tests/mutants/generate.py --only clock/correct_asyncio:AddNot:0   # one mutant, with its report
    python tests/mutants/generate.py --base correct_asyncio_protocol         # one server's mutants (others kept)
    python tests/mutants/generate.py --recheck        # grade the killed ones again: a kill by luck is flaky

tests/test_generated_mutants.py (in ``make test``) checks that the enumeration
still gives the recorded mutants and grades a small fixed sample of them.
"""
from __future__ import annotations

import argparse
import ast
import difflib
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from mutants import corpus  # noqa: E402

OUT = HERE / "generated"
RESULTS = OUT / "results.json"  # every mutant: id, line, change, status, failed checks, seconds
SURVIVORS = OUT / "survivors.json"  # the missed ones, with their diffs: the explorer's input
JUDGED = OUT / "judged.toml"  # a person's verdict on each survivor: equivalent (reason) or missed (bug)

DEADLINE = 120.0  # seconds one grading may take before the mutant counts as killed by timeout
SURVIVOR_RUNS = 3  # gradings a mutant must pass, every check each time, to count as survived
SAMPLE = 10  # mutants per assignment that tests/test_generated_mutants.py grades in `make test`

# cosmic-ray's core operators, one replacement per operator symbol (mutmut's choices) plus the
# boundary for orderings.  ReplaceComparisonOperator_Eq_Lt and the like (six per `==`) would triple
# the run for mutants that behave like Eq_NotEq; the binary operators' other replacements mostly
# raise the same TypeError as the one kept.
OPERATORS = (
    "ReplaceComparisonOperator_Eq_NotEq",
    "ReplaceComparisonOperator_NotEq_Eq",
    "ReplaceComparisonOperator_Lt_LtE",
    "ReplaceComparisonOperator_Lt_GtE",
    "ReplaceComparisonOperator_LtE_Lt",
    "ReplaceComparisonOperator_LtE_Gt",
    "ReplaceComparisonOperator_Gt_GtE",
    "ReplaceComparisonOperator_Gt_LtE",
    "ReplaceComparisonOperator_GtE_Gt",
    "ReplaceComparisonOperator_GtE_Lt",
    "ReplaceComparisonOperator_Is_IsNot",
    "ReplaceComparisonOperator_IsNot_Is",
    "ReplaceBinaryOperator_Add_Sub",
    "ReplaceBinaryOperator_Sub_Add",
    "ReplaceBinaryOperator_Mul_Div",
    "ReplaceBinaryOperator_Div_Mul",
    "ReplaceBinaryOperator_FloorDiv_Div",
    "ReplaceBinaryOperator_Mod_Div",
    "ReplaceBinaryOperator_Pow_Mul",
    "ReplaceBinaryOperator_LShift_RShift",
    "ReplaceBinaryOperator_RShift_LShift",
    "ReplaceBinaryOperator_BitOr_BitAnd",
    "ReplaceBinaryOperator_BitAnd_BitOr",
    "ReplaceBinaryOperator_BitXor_BitAnd",
    "ReplaceUnaryOperator_USub_UAdd",
    "ReplaceUnaryOperator_Delete_USub",
    "ReplaceUnaryOperator_Delete_Not",
    "ReplaceUnaryOperator_Delete_Invert",
    "AddNot",
    "ReplaceTrueWithFalse",
    "ReplaceFalseWithTrue",
    "ReplaceAndWithOr",
    "ReplaceOrWithAnd",
    "ReplaceBreakWithContinue",
    "ReplaceContinueWithBreak",
    "ExceptionReplacer",
    "NumberReplacer",
    "RemoveDecorator",
    "ZeroIterationForLoop",
)


@dataclass
class Mutant:
    """One generated mutant: a correct server with one mutation applied."""

    assignment: str
    base: str  # the correct server's stem, e.g. correct_asyncio
    operator: str  # cosmic-ray's operator name, without "core/"
    occurrence: int  # which mutation point of that operator, in cosmic-ray's walk order
    line: int  # 1-based line of the base that the mutation changes
    before: str  # that line, stripped
    after: str  # the mutant's line, stripped
    source: str = field(repr=False)
    diff: str = field(repr=False)

    @property
    def id(self) -> str:
        return f"{self.assignment}/{self.base}:{self.operator}:{self.occurrence}"

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:12]


def _positions(source: str, operator) -> int:
    """How many mutation points ``operator`` has in ``source`` (cosmic-ray's own count)."""
    from cosmic_ray.ast import Visitor, get_ast

    class Count(Visitor):
        n = 0

        def visit(self, node):
            self.n += sum(1 for _ in operator.mutation_positions(node))
            return node

    counter = Count()
    counter.walk(get_ast(source))
    return counter.n


def _shape(source: str) -> str | None:
    """The syntax tree as text (None when it does not compile): equal shapes behave the same."""
    try:
        tree = ast.parse(source)
        compile(tree, "<mutant>", "exec")
    except (SyntaxError, ValueError):
        return None
    return ast.dump(tree)


def mutants_of(case: corpus.Case, counts: dict[str, int] | None = None) -> list[Mutant]:
    """Every distinct, compilable mutant of the correct server ``case``, in a fixed order.

    ``counts`` (when given) gathers how many were dropped as ``incompetent``/``duplicate``.
    """
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    source = case.path.read_text(encoding="utf-8")
    seen = {_shape(source)}
    lines = source.splitlines()
    found = []
    for name in OPERATORS:
        operator = get_operator(f"core/{name}")()
        for occurrence in range(_positions(source, operator)):
            try:
                mutated = mutate_code(source, operator, occurrence)
            except AttributeError:  # ExceptionReplacer on a dotted name (except socket.timeout): cosmic-ray can't
                mutated = None
            if mutated is None:
                if counts is not None:
                    counts["unsupported"] = counts.get("unsupported", 0) + 1
                continue
            shape = _shape(mutated)
            kind = "incompetent" if shape is None else "duplicate" if shape in seen else None
            if kind:
                if counts is not None:
                    counts[kind] = counts.get(kind, 0) + 1
                continue
            seen.add(shape)
            new = mutated.splitlines()
            first = next((i for i, (a, b) in enumerate(zip(lines, new)) if a != b), min(len(lines), len(new)))
            rel = case.path.relative_to(REPO)
            diff = "\n".join(difflib.unified_diff(lines, new, f"a/{rel}", f"b/{rel}", lineterm="", n=1))
            found.append(Mutant(case.assignment, case.path.stem, name, occurrence, first + 1,
                                lines[first].strip() if first < len(lines) else "",
                                new[first].strip() if first < len(new) else "", mutated, diff))
    return found


def enumerate_all(assignments: list[str] | None = None, counts: dict[str, int] | None = None) -> list[Mutant]:
    """The mutants of every correct server of the corpus (of ``assignments``; default all)."""
    bases = [c for c in corpus.load(assignments) if c.correct]
    return [m for case in bases for m in mutants_of(case, counts)]


@dataclass
class Grading:
    """What the grader said about one mutant in one run."""

    status: str  # "killed", "survived", "timeout" or "error" (the grader itself failed)
    failed: list[str]  # the checks that failed
    seconds: float
    detail: str = ""  # for a failure: the first failed check's rationale; for an error: stderr


def grade(mutant: Mutant, *, deadline: float = DEADLINE, folder: Path | None = None) -> Grading:
    """Grade ``mutant`` with ``python -m graders check ... --json`` in a child process.

    The child gets its own process group; past ``deadline`` seconds the whole
    group is killed and the mutant counts as killed by ``timeout``.
    """
    with tempfile.TemporaryDirectory(prefix="mutant-", dir=folder) as tmp:
        path = Path(tmp) / f"{mutant.base}.py"
        path.write_text(mutant.source, encoding="utf-8")
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "graders", "check", mutant.assignment, str(path), "--json"],
                                 cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 start_new_session=True)
        try:
            out, err = child.communicate(timeout=deadline)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return Grading("timeout", [], round(time.monotonic() - started, 1), f"grading took over {deadline:.0f} s")
        seconds = round(time.monotonic() - started, 1)
    try:
        results = json.loads(out)["results"]
    except (ValueError, KeyError):
        return Grading("error", [], seconds, (err or out)[-2000:])
    failed = [r["name"] for r in results if r["status"] == "fail"]
    errors = [r["name"] for r in results if r["status"] == "error"]
    if errors:
        return Grading("error", failed, seconds, f"grader errors in {', '.join(errors)}")
    if failed:
        first = next(r for r in results if r["status"] == "fail")
        return Grading("killed", failed, seconds, first.get("rationale") or "")
    return Grading("survived", [], seconds)


def grade_until_sure(mutant: Mutant, *, deadline: float = DEADLINE, runs: int = SURVIVOR_RUNS) -> dict:
    """Grade once; a survivor ``runs`` times in all.  Returns the record written to results.json."""
    gradings = [grade(mutant, deadline=deadline)]
    if gradings[0].status == "error":  # the grader's own failure (e.g. a sandbox that did not start): once more
        gradings.append(grade(mutant, deadline=deadline))
    while gradings[-1].status == "survived" and len(gradings) < runs:
        gradings.append(grade(mutant, deadline=deadline))
    statuses = {g.status for g in gradings if g.status != "error"}
    if not statuses:
        status = "error"
    elif statuses == {"survived"}:
        status = "survived"
    elif "survived" in statuses:
        status = "flaky"
    else:
        status = "killed" if "killed" in statuses else "timeout"
    last = gradings[-1]
    return {"id": mutant.id, "assignment": mutant.assignment, "base": mutant.base, "operator": mutant.operator,
            "occurrence": mutant.occurrence, "line": mutant.line, "before": mutant.before, "after": mutant.after,
            "sha": mutant.sha, "status": status,
            "failed": sorted({name for g in gradings for name in g.failed}),
            "runs": [g.status for g in gradings], "seconds": [g.seconds for g in gradings],
            "detail": last.detail[:300]}


def load_judged() -> dict[str, dict]:
    """A person's verdicts on survivors: ``{id: {"verdict": "equivalent"|"missed", "reason": ...}}``."""
    if not JUDGED.exists():
        return {}
    return tomllib.loads(JUDGED.read_text(encoding="utf-8"))


def load_results() -> list[dict]:
    return json.loads(RESULTS.read_text(encoding="utf-8"))["mutants"] if RESULTS.exists() else []


def scores(records: list[dict], judged: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Per assignment: graded, killed, equivalent, missed, unjudged survivors, and the score's parts."""
    out: dict[str, dict[str, int]] = {}
    for r in records:
        s = out.setdefault(r["assignment"], dict.fromkeys(
            ("bases", "graded", "killed", "timeout", "equivalent", "missed", "unjudged", "errors"), 0))
        s["graded"] += 1
        verdict = judged.get(r["id"], {}).get("verdict")
        if r["status"] in ("killed", "timeout"):
            s["killed"] += 1
            s["timeout"] += r["status"] == "timeout"
        elif r["status"] == "error":
            s["errors"] += 1
        elif verdict == "equivalent":
            s["equivalent"] += 1
        elif verdict == "missed":
            s["missed"] += 1
        else:
            s["unjudged"] += 1
    for name, s in out.items():
        s["bases"] = len({r["base"] for r in records if r["assignment"] == name})
    return out


def score_text(s: dict[str, int]) -> str:
    denominator = s["graded"] - s["equivalent"] - s["errors"]
    return f"{100 * s['killed'] / denominator:.1f} %" if denominator else "n/a"


def table(records: list[dict], judged: dict[str, dict], meta: dict) -> str:
    """The generated-mutants section of docs/spec_coverage.md, as Markdown."""
    if not records:
        return ""
    out = ["", "# Generated mutants: the mutation score (issue 21)", "",
           "Every mutation point of every correct server above, enumerated by cosmic-ray's operators "
           "(`tests/mutants/generate.py`,", "`make mutation`) and graded by the real grader; "
           "survivors judged by a person in `tests/mutants/generated/judged.toml`.",
           "Score = killed / (graded − equivalent).  A *flaky* mutant was killed in some gradings only "
           "(it counts as missed).", ""]
    if meta:
        out += [f"Last full run (`make mutation`): {meta.get('wall_seconds')} s of wall time "
                f"({meta.get('jobs')} gradings at once on the 2-core machine, deadline {meta.get('deadline')} s a grading; "
                f"{meta.get('incompetent', 0)} incompetent, {meta.get('duplicate', 0)} duplicate and "
                f"{meta.get('unsupported', 0)} unsupported mutation points dropped"
                + (f"; {meta['load']}" if meta.get("load") else "") + ")."]
        if meta.get("recheck"):
            out += [f"Recheck (`generate.py --recheck`): {meta['recheck']} (recorded as flaky)."]
        if meta.get("partial_runs"):
            out += ["Since then, partial runs: " + "; ".join(meta["partial_runs"]) + "."]
        out.append("")
    out += ["| assignment | correct servers mutated | mutants graded | killed | equivalent | missed | unjudged | "
            "mutation score |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    all_scores = scores(records, judged)
    order = [name for name in corpus.assignments.NAMES if name in all_scores]
    for name in order:
        s = all_scores[name]
        out.append(f"| {name} | {s['bases']} | {s['graded']} | {s['killed']} | {s['equivalent']} | "
                   f"{s['missed']} | {s['unjudged']} | {score_text(s)} |")
    survivors = [r for r in records if r["status"] in ("survived", "flaky")]
    for verdict, title in (("missed", "Missed: the grader accepts these buggy servers (survivors.json)"),
                           ("equivalent", "Equivalent: the mutant still does what the spec asks")):
        out += ["", f"## {title}", "", "Mutants with the same reason share a row; each is "
                "`server:operator:occurrence` (line: the change).", ""]
        for name in order:
            groups: dict[str, list[dict]] = {}
            for r in survivors:
                if r["assignment"] == name and judged.get(r["id"], {}).get("verdict") == verdict:
                    groups.setdefault(judged[r["id"]]["reason"], []).append(r)
            if not groups:
                continue
            out += [f"### {name}", "", "| why | mutants |", "| --- | --- |"]
            for reason, rows in groups.items():
                listed = "; ".join(f"`{r['base'].removeprefix('correct_')}:{r['operator']}:{r['occurrence']}`"
                                   f"{' (flaky)' if r['status'] == 'flaky' else ''} "
                                   f"({r['line']}: {_change(r['before'], r['after'])})" for r in rows)
                out.append(f"| {_cell(reason)} | {listed} |")
            out.append("")
    unjudged = [r for r in survivors if r["id"] not in judged]
    if unjudged:
        out += ["", "## Not judged yet", ""] + [f"- `{r['id']}` line {r['line']}: "
                                                 f"{_change(r['before'], r['after'])}" for r in unjudged]
    return "\n".join(out) + "\n"


def _change(before: str, after: str, context: int = 12) -> str:
    """The changed part of a line, with a little context: `…recv(25 - len…` → `…recv(25 + len…`."""
    prefix = 0
    while prefix < min(len(before), len(after)) and before[prefix] == after[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < min(len(before), len(after)) - prefix
           and before[len(before) - 1 - suffix] == after[len(after) - 1 - suffix]):
        suffix += 1
    start = max(0, prefix - context)

    def cut(text: str) -> str:
        end = min(len(text), len(text) - suffix + context)
        return ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
    return f"`{_cell(cut(before))}` → `{_cell(cut(after))}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def sample(records: list[dict], judged: dict[str, dict], per_assignment: int = SAMPLE) -> list[str]:
    """The fixed sample ``make test`` grades: ids ordered by a hash, killed or equivalent, stable.

    Missed survivors are left out: the explorer of issue 21 is meant to kill them, and the test
    must not fail when it does (``make mutation`` keeps their record).
    """
    chosen = []
    for name in dict.fromkeys(r["assignment"] for r in records):
        pool = [r for r in records if r["assignment"] == name and (
            r["status"] == "killed" or (r["status"] == "survived"
                                        and judged.get(r["id"], {}).get("verdict") == "equivalent"))]
        pool.sort(key=lambda r: hashlib.sha256(r["id"].encode()).hexdigest())
        chosen += [r["id"] for r in pool[:per_assignment]]
    return chosen


def write_outputs(records: list[dict], meta: dict) -> None:
    OUT.mkdir(exist_ok=True)
    records = sorted(records, key=lambda r: _order(r["id"]))
    for r in records:  # a killed mutant's failed checks say enough; the rationale only where nothing failed
        if r["status"] == "killed":
            r.pop("detail", None)
    lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)  # one mutant a line: readable diffs
    RESULTS.write_text(f'{{"meta": {json.dumps(meta)},\n"mutants": [\n{lines}\n]}}\n', encoding="utf-8")
    write_survivors(records)


def write_survivors(records: list[dict]) -> None:
    judged = load_judged()
    by_id = {m.id: m for m in enumerate_all(sorted({r["assignment"] for r in records}))}
    missed = []
    for r in records:
        if r["status"] in ("survived", "flaky") and judged.get(r["id"], {}).get("verdict") != "equivalent":
            m = by_id[r["id"]]
            missed.append({"id": r["id"], "assignment": r["assignment"], "base": r["base"],
                           "base_path": f"tests/mutants/{r['assignment']}/{r['base']}.py",
                           "operator": r["operator"], "occurrence": r["occurrence"], "line": r["line"],
                           "status": r["status"], "bug": judged.get(r["id"], {}).get("reason", "(not judged yet)"),
                           "diff": m.diff})
    SURVIVORS.write_text(json.dumps(missed, indent=1) + "\n", encoding="utf-8")


def _order(mutant_id: str) -> tuple:
    head, operator, occurrence = mutant_id.rsplit(":", 2)
    return (head, OPERATORS.index(operator), int(occurrence))


def recheck(mutants: list[Mutant], jobs: int, deadline: float) -> int:
    """Grade the recorded killed ``mutants`` once more (a kill that was luck or load shows up here).

    A mutant that now passes every check is recorded as ``flaky``: killed in one grading, passed in
    another; a person then judges it like a survivor (a bug caught by luck, or a correct server
    rejected by the grader under load).
    """
    records = {r["id"]: r for r in load_results()}
    todo = [m for m in mutants if records.get(m.id, {}).get("status") == "killed"]
    started = time.monotonic()

    def again(m: Mutant) -> None:
        record = records[m.id]
        grading = grade(m, deadline=deadline)
        record["runs"].append(grading.status)
        record["seconds"].append(grading.seconds)
        if grading.status == "survived":
            record["status"] = "flaky"
            record["detail"] = "killed at first, then passed every check"
            print(f"flaky     {m.id}", flush=True)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(again, todo))
    wall = round(time.monotonic() - started)
    old = json.loads(RESULTS.read_text(encoding="utf-8"))["meta"]
    flaky = [i for i in (m.id for m in todo) if records[i]["status"] == "flaky"]
    meta = {**old, "recheck": f"{len(todo)} killed mutants graded again in {wall} s: {len(flaky)} passed"}
    write_outputs(list(records.values()), meta)
    corpus.TABLE.write_text(corpus.table(corpus.load()), encoding="utf-8")
    print(meta["recheck"])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: all")
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2: the machine's cores)")
    parser.add_argument("--deadline", type=float, default=DEADLINE, help=f"seconds per grading (default {DEADLINE:.0f})")
    parser.add_argument("--list", action="store_true", help="enumerate the mutants only")
    parser.add_argument("--only", action="append", metavar="ID", help="grade only this mutant and show its report")
    parser.add_argument("--base", action="append", metavar="STEM",
                        help="only the mutants of this correct server (repeatable), e.g. correct_asyncio")
    parser.add_argument("--recheck", action="store_true",
                        help="grade every recorded killed mutant once more: one that passes now is flaky")
    parser.add_argument("--table", action="store_true", help="only rewrite docs/spec_coverage.md and survivors.json")
    args = parser.parse_args(argv)
    if args.table:
        write_survivors(load_results())
        corpus.TABLE.write_text(corpus.table(corpus.load()), encoding="utf-8")
        print(f"wrote {corpus.TABLE.relative_to(REPO)} and {SURVIVORS.relative_to(REPO)}")
        return 0
    counts: dict[str, int] = {}
    mutants = enumerate_all(args.assignments or None, counts)
    if args.base:
        mutants = [m for m in mutants if m.base in args.base]
    if args.list:
        for m in mutants:
            print(f"{m.id:<60} line {m.line:>3}  {m.before}  ->  {m.after}")
        print(f"{len(mutants)} mutants ({counts})")
        return 0
    if args.only:
        for m in (m for m in mutants if m.id in args.only):
            print(m.diff)
            with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
                path = Path(tmp) / f"{m.base}.py"
                path.write_text(m.source, encoding="utf-8")
                subprocess.run([sys.executable, "-m", "graders", "check", m.assignment, str(path)], cwd=REPO)
        return 0
    if args.recheck:
        return recheck(mutants, args.jobs, args.deadline)
    started = time.monotonic()
    done = 0

    def work(m: Mutant) -> dict:
        nonlocal done
        record = grade_until_sure(m, deadline=args.deadline)
        done += 1
        print(f"[{done}/{len(mutants)} {time.monotonic() - started:6.0f}s] {record['status']:<9} {m.id} "
              f"{','.join(record['failed'][:3])}", flush=True)
        return record

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        records = list(pool.map(work, mutants))
    wall = round(time.monotonic() - started)
    meta = {"mutants": len(records), "wall_seconds": wall, "jobs": args.jobs, "deadline": args.deadline,
            "incompetent": counts.get("incompetent", 0), "duplicate": counts.get("duplicate", 0),
            "unsupported": counts.get("unsupported", 0), "python": sys.version.split()[0]}
    partial = bool(args.assignments or args.base)
    if partial and RESULTS.exists():  # a partial run keeps the records outside its scope
        def outside(r: dict) -> bool:
            return ((args.assignments and r["assignment"] not in args.assignments)
                    or (args.base and r["base"] not in args.base))
        records += [r for r in load_results() if outside(r)]
        old = json.loads(RESULTS.read_text(encoding="utf-8"))["meta"]
        scope = ", ".join((args.assignments or []) + (args.base or []))
        meta = {**old, "mutants": len(records),
                "partial_runs": old.get("partial_runs", []) + [f"{scope}: {len(mutants)} mutants in {wall} s"]}
    write_outputs(records, meta)
    corpus.TABLE.write_text(corpus.table(corpus.load()), encoding="utf-8")
    judged = load_judged()
    for name, s in scores(records, judged).items():
        print(f"{name:<14} graded {s['graded']:>4}  killed {s['killed']:>4}  equivalent {s['equivalent']:>3}  "
              f"missed {s['missed']:>3}  unjudged {s['unjudged']:>3}  errors {s['errors']}  score {score_text(s)}")
    print(f"wall time {wall} s for {len(mutants)} mutants, {args.jobs} at once")
    unjudged = [r["id"] for r in records if r["status"] in ("survived", "flaky") and r["id"] not in judged]
    if unjudged:
        print(f"{len(unjudged)} survivors to judge in {JUDGED.relative_to(REPO)}:")
        for mutant_id in unjudged:
            print(f"  {mutant_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
