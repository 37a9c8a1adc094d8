"""What a check found: :class:`Failure` (raised by a check), :class:`CheckResult` and :class:`Report`.

A check raises :class:`Failure` with a student-facing ``rationale`` and ``help``;
:func:`graders.checking.checks.run_checks` turns each check's outcome into a
:class:`CheckResult` (its verdict, transcript and timings) and a grading into a
:class:`Report`, which the command line prints (:meth:`Report.render`), Jupyter
shows as sequence diagrams (:mod:`graders.checking.diagram`) and nbgrader scores.
Plain data: this module imports no other part of the grader (the diagrams only
when Jupyter asks for them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


class Failure(Exception):
    """A check found the server wrong.

    ``rationale`` says what went wrong, for the student; ``help`` how to fix
    it; ``expected``/``actual`` give the two sides of a mismatch; ``at`` names
    the client whose last step is the one that failed (default: the client
    the rationale starts with, "client B ...", else the transcript's last
    step), which the sequence diagram marks.

    ``dependents_run`` (fair partial credit, issue 21): the check's own point
    is broken, but the server did what the checks that depend on this one
    need (it answered, only not in the exact form): they run and judge their
    own points, reading the replies tolerantly, instead of being skipped.
    """

    def __init__(self, rationale: str, *, help: str | None = None,
                 expected: str | None = None, actual: str | None = None, at: str | None = None,
                 dependents_run: bool = False) -> None:
        super().__init__(rationale)
        self.rationale = rationale
        self.help = help
        self.expected = expected
        self.actual = actual
        self.at = at  # the client whose last step failed (its name), when the check knows it
        self.dependents_run = dependents_run


class CannotJudge(Exception):
    """A check could not verify its own point, through no fault of that point: reported as "skip".

    Raised where a reply cannot be interpreted at all for the check's point
    (e.g. the clock's answer holds no time, so "the time when asked" cannot be
    judged); the check whose point that reply breaks fails and says why.
    ``rationale`` says what could not be judged and why, for the student.
    """

    def __init__(self, rationale: str) -> None:
        super().__init__(rationale)
        self.rationale = rationale


@dataclass
class CheckResult:
    name: str
    description: str
    status: str  # "pass", "fail", "skip" or "error" (the grader's own fault)
    rationale: str | None = None
    help: str | None = None
    expected: str | None = None
    actual: str | None = None
    transcript: list[str] = field(default_factory=list)
    server_output: str = ""
    seconds: float = 0.0
    hidden: bool = False
    spec: list[int] = field(default_factory=list)  # the spec points the check verifies
    timings: dict[str, float] = field(default_factory=dict)  # seconds: sandbox start, listen, clients
    events: list[dict] = field(default_factory=list)  # the transcript's lines as dicts (harness.Line.event)
    failed_step: int | None = None  # index in events of the last step before the check failed
    # A failure that still lets the checks depending on this one run (Failure.dependents_run)
    dependents_run: bool = False

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def enables_dependents(self) -> bool:
        """True when the checks that depend on this one run: it passed, or failed only in a way
        that leaves what they need intact (:class:`Failure` ``dependents_run``)."""
        return self.status == "pass" or (self.status == "fail" and self.dependents_run)

    def _repr_html_(self) -> str:
        """The verdict and the transcript as a sequence diagram (graders.checking.diagram), for Jupyter."""
        from graders.checking.diagram import result_html
        return result_html(self)

    def render(self, *, transcripts: str = "failed") -> str:
        """Text for a student; ``transcripts`` is "all", "failed" or "none"."""
        verbose = transcripts == "all" or (transcripts == "failed" and self.status != "pass")
        mark = {"pass": ":)", "fail": ":(", "skip": ":|", "error": "!!"}[self.status]
        lines = [f"{mark} {self.description}"]
        if self.status in ("fail", "error") and self.spec:
            points = ", ".join(str(p) for p in self.spec)
            lines[0] += f"  (spec point{'s' if len(self.spec) > 1 else ''} {points})"
        if self.status != "pass":
            if self.rationale:
                lines.append(f"    {self.rationale}")
            if self.expected is not None:
                lines.append(f"    expected: {self.expected}")
            if self.actual is not None:
                lines.append(f"    actual:   {self.actual}")
            if self.help:
                lines += ["    hint: " + self.help.splitlines()[0]] + \
                         ["          " + line for line in self.help.splitlines()[1:]]
        if verbose and self.transcript and self.status != "skip":
            lines.append("    transcript:")
            lines += ["      " + line for line in self.transcript]
        if verbose and self.status in ("fail", "error") and self.server_output.strip():
            lines.append("    your server printed:")
            out = self.server_output.strip()
            if len(out) > 2000:
                out = "..." + out[-2000:]
            lines += ["      " + line for line in out.splitlines()]
        return "\n".join(lines)


@dataclass
class Report:
    assignment: str
    file: str
    isolation: str
    results: list[CheckResult]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def result(self, name: str) -> CheckResult:
        return next(r for r in self.results if r.name == name)

    def render(self, *, transcripts: str = "failed") -> str:
        """Text for a student; ``transcripts`` is "all", "failed" or "none"."""
        passed = sum(r.passed for r in self.results)
        head = f"{self.assignment}: {passed} of {len(self.results)} checks passed ({self.file})"
        return "\n".join([head] + [r.render(transcripts=transcripts) for r in self.results])

    def _repr_html_(self) -> str:
        """Every verdict, with sequence diagrams (graders.checking.diagram), for Jupyter."""
        from graders.checking.diagram import report_html
        return report_html(self)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "Report":
        data = json.loads(text)
        data["results"] = [CheckResult(**r) for r in data["results"]]
        return cls(**data)
