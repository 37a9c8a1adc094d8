"""Checks that read like the spec, in the manner of check50.

An :class:`Assignment` is a named list of checks.  A check is a function
decorated with ``@assignment.check("what it verifies", ...)`` that receives a
:class:`Run` and raises :class:`Failure` (with a student-facing ``rationale``
and a ``help`` hint) when the server does not behave::

    @clock.check("answers the question with the current time", depends="starts")
    def answers(run):
        server = run.start()
        reply = server.client("A").send(QUESTION).receive(24)
        ...

:func:`run_checks` runs every check against a fresh server of its own and
returns a :class:`Report`, which the CLI prints, the notebook self-check shows
and the nbgrader test cells score.

Fair partial credit (issue 21): one slip costs the points of its spec point,
not the grade.  A check depends (``depends=``) only on what it needs to verify
its own point, usually that the server starts or that it answers at all, and
reads replies tolerantly where the exact form is not its point; the exact form
is judged by its own check.  A check whose ``depends`` failed is reported as
skipped, unless that failure says the server still did what the dependents need
(``Failure(..., dependents_run=True)``: it answered, in the wrong form): then
they run and judge their own points.  A check that cannot judge its point from
what the server did (a reply that holds no time at all) raises
:class:`CannotJudge` and is reported as skipped, with the reason.  Where every server has its own network namespace (the
``namespaces`` isolation mode) all the checks run at once, each in its own
thread with its own sandbox, so a grading takes as long as its slowest check,
not the sum; a check is cancelled as soon as a check it depends on fails.  In
the fallback mode servers share the host's ports, so checks run one at a time.

Each check names the numbered points of the assignment's spec it verifies
(``spec=(3,)``); a failure says which point was broken.
"""

from __future__ import annotations

import os
import re
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from graders.checking.results import CannotJudge, CheckResult, Failure, Report  # noqa: F401  (Failure, Report: their old home)


LISTEN_TIMEOUT = 20.0  # seconds a server may take to listen: generous, a loaded grading machine is slow
START_FIRST = 0.3  # seconds the other checks wait for the servers of the checks that must let time pass


@dataclass
class Check:
    name: str
    description: str
    function: Callable
    depends: str | None = None
    hidden: bool = False
    timeout: float = 60.0  # seconds the whole check may take
    spec: tuple[int, ...] = ()  # the numbered points of the assignment's spec it verifies
    waits: float = 0.0  # seconds of real time it must let pass (a lone client's wait): it starts first


class Assignment:
    """A graded assignment: the answer file's name, the spec's port and its checks."""

    def __init__(self, name: str, *, title: str, answer_file: str, port: int | None = None,
                 spec: dict[int, str] | None = None) -> None:
        self.name = name
        self.title = title
        self.answer_file = answer_file
        self.port = port
        self.spec: dict[int, str] = dict(spec or {})  # the notebook's numbered spec points, in short
        self.checks: dict[str, Check] = {}
        # Hidden checks taken out of this copy of the module (a course's student view,
        # graders/student_view.py): they run only when the work is graded.  0 in a clone.
        self.withheld = 0

    def check(self, description: str, *, depends: str | None = None, hidden: bool = False,
              timeout: float = 60.0, spec: int | tuple[int, ...] = (), waits: float = 0.0) -> Callable:
        """Register a check; ``spec`` is the spec point (or points) it verifies.

        ``waits``: the seconds of real time the check must let pass to prove its
        point (up to that much); when checks run at once, such checks start first.
        """
        def register(function: Callable) -> Callable:
            name = function.__name__
            if depends is not None and depends not in self.checks:
                raise ValueError(f"check {name} depends on unknown check {depends}")
            points = (spec,) if isinstance(spec, int) else tuple(spec)
            self.checks[name] = Check(name, description, function, depends, hidden, timeout, points, waits)
            return function
        return register


class Run:
    """What a check function receives: starts servers and records the transcript."""

    def __init__(self, assignment: Assignment, path: Path) -> None:
        from graders.checking.harness import Transcript
        self.assignment = assignment
        self.path = Path(path)
        self.transcript = Transcript()
        self.servers: list = []
        self.cancelled = threading.Event()

    def start(self, *, timeout: float = LISTEN_TIMEOUT, env: dict[str, str] | None = None,
              site: str | None = None):
        """Start the student's server and wait until it listens (a :class:`~graders.checking.harness.Server`).

        ``env`` adds environment variables (e.g. a fixed secret, for deterministic checks).
        ``site`` is Python code run before the server's own, as its ``sitecustomize``
        (graders.checking.sites: small send buffers, forced random draws).
        Raises Failure when it crashes or does not listen within ``timeout`` seconds.
        """
        from graders.checking import sites
        from graders.checking.harness import Server
        if self.cancelled.is_set():
            raise Failure("the check ran out of time")
        if site is not None:
            env = {**(env or {}), "PYTHONPATH": sites.python_path()}
        server = Server(self.path, self.transcript, env=env)
        self.servers.append(server)
        if site is not None:
            folder = server.workdir / sites.SITE_DIR
            folder.mkdir()
            (folder / "sitecustomize.py").write_text(sites.with_fallback(site), encoding="utf-8")
        return server.start(timeout=timeout, port=self.assignment.port)

    def server_output(self, *, settle: float = 0.0) -> str:
        return "\n".join(s.output(settle=settle) for s in self.servers)

    def close(self) -> None:
        for server in self.servers:
            server.close()


def run_check(assignment: Assignment, check: Check, path: Path, *, run: Run | None = None) -> CheckResult:
    """Run one check against a fresh server; never raises.

    ``run`` may be given so that another thread can cancel the check
    (``run.cancelled.set(); run.close()``).
    """
    run = run or Run(assignment, path)
    result = CheckResult(check.name, check.description, "pass", hidden=check.hidden, spec=list(check.spec))
    outcome: list[BaseException] = []

    def body() -> None:
        try:
            check.function(run)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    began = time.monotonic()
    worker = threading.Thread(target=body, name=f"check-{check.name}", daemon=True)
    worker.start()
    worker.join(check.timeout)
    if worker.is_alive():
        run.cancelled.set()
        run.close()  # closing the sandboxes unblocks the check's I/O
        worker.join(10)
        outcome[:] = [Failure(f"the check did not finish within {check.timeout:g} seconds",
                              help="Your server may be stuck: does every recv() have something to read?")]
    failed_at = failed_step(run.transcript.events(), outcome[0] if outcome else None)
    if outcome and isinstance(outcome[0], Failure) and not run.cancelled.is_set():
        result.server_output = run.server_output(settle=0.5)  # before close(): a crash's last words
    try:
        if outcome:
            exc = outcome[0]
            if isinstance(exc, CannotJudge):
                result.status = "skip"
                result.rationale = f"not checked: {exc.rationale}"
            elif isinstance(exc, Failure):
                result.status = "fail"
                result.rationale, result.help = exc.rationale, exc.help
                result.expected, result.actual = exc.expected, exc.actual
                result.dependents_run = exc.dependents_run
                if getattr(exc, "spec", None):  # the point actually broken (graders.checking.explore)
                    result.spec = list(exc.spec)
                if getattr(exc, "server_output", None):  # of a server the check ran apart from run.servers
                    result.server_output = exc.server_output
            else:
                result.status = "error"
                result.rationale = f"the grader itself failed: {type(exc).__name__}: {exc}"
                result.help = "This is not your fault; tell your instructor.\n" + "".join(
                    traceback.format_exception(exc)[-3:])
    finally:
        run.close()
    result.transcript = run.transcript.render()
    result.events = run.transcript.events()
    if result.status in ("fail", "error"):
        result.failed_step = failed_at
    result.server_output = result.server_output or run.server_output()
    result.seconds = round(time.monotonic() - began, 3)
    start = sum(getattr(server, "start_seconds", 0.0) for server in run.servers)
    listen = sum(getattr(server, "listen_seconds", 0.0) for server in run.servers)
    result.timings = {"sandbox_start": round(start, 3), "listen": round(listen, 3),
                      "clients": round(max(result.seconds - start - listen, 0.0), 3)}
    return result


def failed_step(events: list[dict], exc: BaseException | None) -> int | None:
    """The index in ``events`` (the transcript when the check failed) of the step that failed.

    The last step of the client the failure names (``Failure.at``, else a
    rationale that starts "client B ..."), not counting the checker's own
    closes; else the last step.  Other clients' later steps (a concurrent
    client, a cleanup) are not what failed.  None without events.
    """
    if not events:
        return None
    last = len(events) - 1
    who = getattr(exc, "at", None)
    if who is None and isinstance(exc, Failure):
        named = re.match(r"\s*client (\w+)\b", exc.rationale or "")
        who = named.group(1) if named else None
    if who is not None:
        mine = [i for i, event in enumerate(events) if event["who"] == who and event["kind"] != "close"]
        if mine:
            return mine[-1]
    return last


def concurrent_checks() -> bool:
    """True when the checks of one grading may run at once (each server has its own network).

    ``GRADERS_SERIAL=1`` forces one check at a time (for measurements).
    """
    from graders.sandbox import isolation_mode
    return isolation_mode() == "namespaces" and os.environ.get("GRADERS_SERIAL") != "1"


def run_checks(assignment: Assignment, path: Path, *, only: list[str] | None = None,
               include_hidden: bool = True, concurrent: bool | None = None) -> Report:
    """Run the assignment's checks on the server file ``path``.

    A check whose ``depends`` did not pass is reported as skipped, unless that
    check failed with ``dependents_run`` (see the module doc).  ``only``
    limits the run to the named checks (their dependencies run too).  With
    ``concurrent`` (default: :func:`concurrent_checks`) every check runs at
    once against its own server; otherwise one after another, in order.
    The results are in the assignment's order either way.
    """
    from graders.sandbox import isolation_mode
    wanted = set(assignment.checks) if only is None else _with_dependencies(assignment, only)
    if not include_hidden:
        wanted = {name for name in wanted if not assignment.checks[name].hidden}
    checks = [c for c in assignment.checks.values() if c.name in wanted]
    from graders.sandbox import prewarm
    prewarm(path)
    if concurrent is None:
        concurrent = concurrent_checks()
    results = _run_concurrently(assignment, checks, path) if concurrent else _run_in_order(assignment, checks, path)
    errored = {c.name for c in checks if results[c.name].status == "error"}
    if errored:
        # The grader's own failure (a sandbox that could not start on a saturated machine) must not
        # cost the student: such a check, and the checks that depend on it, run once more, in order.
        redo = errored | {c.name for c in checks for name in errored if _depends_on(assignment, c, name)}
        kept = {name: r for name, r in results.items() if name not in redo}
        results = _run_in_order(assignment, [c for c in checks if c.name in redo], path, known=kept)
    ordered = [results[c.name] for c in checks]
    return Report(assignment.name, str(path), isolation_mode(), ordered)


def _skipped(assignment: Assignment, check: Check) -> CheckResult:
    return CheckResult(
        check.name, check.description, "skip", hidden=check.hidden, spec=list(check.spec),
        rationale=f"not checked: it needs \"{assignment.checks[check.depends].description}\" to pass first")


def _depends_on(assignment: Assignment, check: Check, name: str) -> bool:
    """True when ``check`` depends on the check ``name``, directly or through others."""
    while check.depends is not None:
        if check.depends == name:
            return True
        check = assignment.checks[check.depends]
    return False


def _run_in_order(assignment: Assignment, checks: list[Check], path: Path,
                  known: dict[str, CheckResult] | None = None) -> dict[str, CheckResult]:
    """``checks`` one after another; ``known``: results already in (of their dependencies, say)."""
    results: dict[str, CheckResult] = dict(known or {})
    for check in checks:
        if check.depends and (check.depends not in results or not results[check.depends].enables_dependents):
            results[check.name] = _skipped(assignment, check)
        else:
            results[check.name] = run_check(assignment, check, path)
    return results


def _run_concurrently(assignment: Assignment, checks: list[Check], path: Path) -> dict[str, CheckResult]:
    """Every check at once, each in its own thread; dependents of a failed check are cancelled."""
    runs = {c.name: Run(assignment, path) for c in checks}
    results: dict[str, CheckResult] = {}
    lock = threading.Lock()

    def dependents(name: str) -> list[str]:
        found = [c.name for c in checks if c.depends == name]
        return found + [d for f in found for d in dependents(f)]

    def one(check: Check) -> None:
        result = run_check(assignment, check, path, run=runs[check.name])
        with lock:
            results[check.name] = result
            if not result.enables_dependents:
                for name in dependents(check.name):
                    runs[name].cancelled.set()
        if not result.enables_dependents:
            for name in dependents(check.name):
                runs[name].close()  # unblocks its I/O; its result becomes "skip"

    threads = {c.name: threading.Thread(target=one, args=(c,), name=f"grade-{c.name}", daemon=True)
               for c in checks}
    # The checks that must let real time pass set the wall time: they start first, and the rest
    # once their servers listen (START_FIRST at most), so that the burst of sandbox starts does
    # not delay them.
    first = [c for c in checks if c.waits > 0]
    for check in first:
        threads[check.name].start()
    deadline = time.monotonic() + START_FIRST
    for check in first:
        run = runs[check.name]
        while time.monotonic() < deadline and threads[check.name].is_alive() and not run.cancelled.is_set() \
                and not any(server.port for server in list(run.servers)):
            time.sleep(0.002)  # bounded by START_FIRST; a server's start has no event to wait on here
    for check in checks:
        if check.waits <= 0:
            threads[check.name].start()
    for thread in threads.values():
        thread.join()
    final: dict[str, CheckResult] = {}
    for check in checks:  # in order: a dependency's final status is known before its dependents'
        if check.depends and (check.depends not in final or not final[check.depends].enables_dependents):
            final[check.name] = _skipped(assignment, check)
        else:
            final[check.name] = results[check.name]
    return final


def _with_dependencies(assignment: Assignment, names: list[str]) -> set[str]:
    wanted: set[str] = set()
    for name in names:
        if name not in assignment.checks:
            raise KeyError(f"{assignment.name} has no check named {name!r}; "
                           f"it has: {', '.join(assignment.checks)}")
        while name is not None:
            wanted.add(name)
            name = assignment.checks[name].depends
    return wanted
