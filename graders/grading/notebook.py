"""What the notebooks call: the self-check and the autograder test cells.

Both run the checks in a separate process (``python -m graders check ...``),
so no server, thread or socket of the grading lives in the Jupyter kernel, and
never write to stderr (nbgrader scores a test cell that does 0).  In a Jupyter
kernel the verdicts are one ``display_data`` output with the text
(``text/plain``) and the transcripts drawn as sequence diagrams (``text/html``,
:mod:`graders.checking.diagram`); elsewhere the text is printed to stdout.

Where the hidden checks are available (a clone of the repository: self-study)
the self-check and the test cells run them too, and say so; in a course's
student view (graders/student_view.py withholds them) they say how many did
not run (:func:`mode`).  A failing test cell shows its verdict once: the
diagram and hint, then an error that is the explanation alone
(``CheckFailed._render_traceback_``), which is also what nbgrader's Validate
shows first.

Under ``nbgrader autograde`` (graders.nbgrader.Execute sets
``GRADERS_AUTOGRADE=1`` in the kernel's environment) :func:`check` does
nothing: graders.grading.plugins.TrustedChecks grades the answer cell outside the
kernel and writes the verdict into the test cell, so redefining :func:`check`
in the notebook changes nothing.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# graders.checking.checks and graders.checking.diagram are imported when a check runs, not at `import`: under
# nbgrader autograde, where the cells only print a line, the kernel need not load them.

CHECK_TIMEOUT = 600  # seconds a whole self-check may take


COMMAND = "graders check {assignment} {file}"  # the terminal command the notebooks and hints print


class CheckFailed(AssertionError):
    """An autograder test cell's check did not pass (the message says why).

    In IPython the error shows as its message alone (``_render_traceback_``):
    the explanation, not a traceback through this module.
    """

    def _render_traceback_(self) -> list[str]:
        return str(self).split("\n")


class HiddenChecksNotRun(CheckFailed):
    """Validate in a course: the hidden checks cannot run here, so the notebook cannot be said to pass."""


def mode(assignment: str) -> str:
    """``"self-study"`` where every check of ``assignment`` can run here (a clone of the repository),
    ``"course"`` where the hidden checks were withheld (a course's student view, graders/student_view.py)."""
    from graders import assignments
    return "course" if assignments.get(assignment).withheld else "self-study"


def _counts(assignment: str) -> tuple[int, int, int]:
    """(visible checks, hidden checks available here, hidden checks withheld) of ``assignment``."""
    from graders import assignments
    spec = assignments.get(assignment)
    hidden = sum(c.hidden for c in spec.checks.values())
    return len(spec.checks) - hidden, hidden, spec.withheld


def mode_line(assignment: str) -> str:
    """One sentence telling the student which mode they are in and what runs here."""
    visible, hidden, withheld = _counts(assignment)
    if withheld:
        return (f"In a course: the {visible} visible checks run here; the {withheld} hidden ones are "
                f"your instructor's and run when your work is graded.")
    if hidden:
        return (f"Self-study (a clone of the repository): every check runs here, the {hidden} hidden "
                f"ones too. In a course they would run only when your work is graded.")
    return f"Every check runs here ({visible})."


def _run(assignment: str, only: list[str] | None, include_hidden: bool):
    """The Report (graders.checks.Report) of ``python -m graders check`` on the answer file."""
    from graders import assignments
    from graders.checking.checks import Report
    answer = Path(assignments.get(assignment).answer_file)
    if not answer.exists():
        raise CheckFailed(f"{answer} does not exist yet: run the answer cell (%%writefile {answer}) first")
    command = [sys.executable, "-m", "graders", "check", assignment, str(answer), "--json"]
    for name in only or []:
        command += ["--only", name]
    if not include_hidden:
        command.append("--visible-only")
    done = subprocess.run(command, capture_output=True, text=True, timeout=CHECK_TIMEOUT,
                          stdin=subprocess.DEVNULL)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"the grader failed (status {done.returncode}): {done.stderr[-2000:]}")
    return Report.from_json(done.stdout)


def _show(text: str, html: str) -> None:
    """Display ``text`` with its HTML twin in IPython (one display_data output); else print it."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display({"text/plain": text, "text/html": html}, raw=True)


def summary(report, withheld: int) -> str:
    """The self-check's closing sentence: what passed, and what did not run (never "all" while some did not)."""
    results = report.results
    hidden = sum(r.hidden for r in results)
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    command = COMMAND.format(assignment=report.assignment, file=Path(report.file).name)
    fails = f"{failed} {'does' if failed == 1 else 'do'} not"
    later = (f"Failures are above, each with a transcript and a hint. From a terminal, in this folder: "
             f"{command}") if failed else ""
    if withheld:
        head = (f"All {len(results)} visible checks pass" if not failed
                else f"{passed} of {len(results)} visible checks pass, {fails}")
        return f"{head}; {withheld} more (hidden) run when your work is graded, not here. {later}".rstrip()
    if not failed:
        return (f"All {len(results)} checks pass, the {hidden} hidden ones included."
                if hidden else f"All {len(results)} checks pass.")
    ran = f" (self-study: the {hidden} hidden checks ran too)" if hidden else ""
    return f"{passed} of {len(results)} checks pass{ran}; {fails}. {later}"


def selfcheck(assignment: str) -> None:
    """Run your answer file's checks and show every verdict; the failing ones open, with a diagram.

    Self-study (a clone): every check runs, the hidden ones too.  In a course
    (the hidden checks withheld, graders/student_view.py): the visible ones,
    and the last line says how many more run when the work is graded.
    Returns nothing (a notebook cell would show a stray value).  Under
    ``nbgrader autograde`` it does nothing: the autograder runs every check
    outside the notebook anyway.
    """
    if os.environ.get("GRADERS_AUTOGRADE") == "1":
        print("self-check: skipped while autograding; every check runs outside the notebook.")
        return
    from graders.checking.diagram import report_html, _e
    _visible, _hidden, withheld = _counts(assignment)
    report = _run(assignment, None, include_hidden=True)
    banner, closing = mode_line(assignment), summary(report, withheld)
    text = "\n".join([banner, "", report.render(transcripts="failed"), "", closing])
    colour = "#2e7d32" if report.passed else "#c62828"
    html = (f"<div class='graders-mode' style='font-family:system-ui,sans-serif;font-size:13px;"
            f"color:#455a64'>{_e(banner)}</div>" + report_html(report)
            + f"<div class='graders-summary' style='font-family:system-ui,sans-serif;font-weight:bold;"
              f"color:{colour}'>{_e(closing)}</div>")
    _show(text, html)


VALIDATE_WIDTH = 82  # characters: nbgrader's Validate cuts longer lines of an error (Validator.width 90, indented)


def _wrap(text: str) -> str:
    """``text`` with every line wrapped at :data:`VALIDATE_WIDTH`, continuations indented 2 more."""
    import textwrap
    out = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line, VALIDATE_WIDTH, subsequent_indent=indent + "  ", break_long_words=True,
                             break_on_hyphens=False) or [""]
    return "\n".join(out)


_withheld_reported: set[str] = set()
_check_ran_in: object = None  # the cell (IPython's execution count) in which check() last ran


def _this_cell() -> object:
    """The running cell's IPython execution count ("python" outside IPython: one cell)."""
    try:
        from IPython import get_ipython
        shell = get_ipython()
    except ImportError:
        shell = None
    return shell.execution_count if shell is not None else "python"


def _not_run_here(assignment: str, withheld: int, label: str) -> None:
    """Say that a hidden check did not run here; under Validate, fail the first such cell with the count."""
    from graders import assignments
    visible = sum(not c.hidden for c in assignments.get(assignment).checks.values())
    message = (f"Not run here: {withheld} hidden checks are your instructor's;\n"
               f"they run when your work is graded.\n"
               f"Validate can vouch only for the {visible} visible checks.")
    if os.environ.get("NBGRADER_VALIDATING") == "1" and assignment not in _withheld_reported:
        _withheld_reported.add(assignment)
        raise HiddenChecksNotRun(message)
    print(f"{label}: {message}".replace("\n", " "))


def hidden_test(assignment: str) -> None:
    """The last line of a hidden test cell, after nbgrader's hidden region (which calls :func:`check`).

    Where the region was taken out (a course's release) the cell says that its
    check did not run, and under Validate the first such cell fails with the
    number of hidden checks (:func:`check` explains why); where the region's
    ``check(...)`` ran in this cell, it does nothing.
    """
    global _check_ran_in
    ran, _check_ran_in = _check_ran_in == _this_cell(), None
    if ran or os.environ.get("GRADERS_AUTOGRADE") == "1":
        return
    visible, hidden, withheld = _counts(assignment)
    if withheld:
        _not_run_here(assignment, withheld, "a hidden test")
    else:  # self-study with a course's release: every check runs in the self-check above
        print(f"a hidden test: its code was taken out of this copy of the notebook; the self-check above "
              f"runs every check, the {hidden} hidden ones included.")


def check(assignment: str, name: str) -> None:
    """An autograder test cell: run one check; raise CheckFailed if it does not pass.

    A hidden check withheld here (a course's student view) is not run: the
    cell says so (as :func:`hidden_test` does where the call itself was
    taken out).  Under nbgrader's Validate (``NBGRADER_VALIDATING=1``) the
    first such cell raises :class:`HiddenChecksNotRun` with their number, so
    that Validate never reports "passes all the tests" while checks did not
    run.  A failing check shows its verdict (diagram, hint), then raises
    :class:`CheckFailed`: one line, or under Validate, whose dialog shows
    only a failing cell's error, the whole verdict (wrapped to fit it).
    """
    global _check_ran_in
    _check_ran_in = _this_cell()
    if os.environ.get("GRADERS_AUTOGRADE") == "1":
        print(f"{name}: graded by the autograder outside the notebook.")
        return
    from graders import assignments
    spec = assignments.get(assignment)
    if name not in spec.checks and spec.withheld:
        _not_run_here(assignment, spec.withheld, f"{name}: a hidden check")
        return
    from graders.checking.diagram import result_html
    report = _run(assignment, [name], include_hidden=True)
    result = report.result(name)
    if result.passed:
        _show(result.render(transcripts="none"), result_html(result, open_diagram=False))
        return
    # One verdict: the diagram and hint above; the error below says only which check failed (the
    # text in full under Validate, whose dialog shows a failing cell's error and nothing else).
    _show(result.render(transcripts="failed"), result_html(result))
    if os.environ.get("NBGRADER_VALIDATING") == "1":
        raise CheckFailed(_wrap(result.render(transcripts="failed"))) from None
    raise CheckFailed(f"✗ {result.description}: {result.rationale or result.status} "
                      f"(the transcript and the hint are above)") from None
