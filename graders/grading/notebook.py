"""What the notebooks call: the self-check and the autograder test cells.

Both run the checks in a separate process (``python -m graders check ...``),
so no server, thread or socket of the grading lives in the Jupyter kernel, and
never write to stderr (nbgrader scores a test cell that does 0).  In a Jupyter
kernel the verdicts are one ``display_data`` output with the text
(``text/plain``) and the transcripts drawn as sequence diagrams (``text/html``,
:mod:`graders.checking.diagram`); elsewhere the text is printed to stdout.

Under ``nbgrader autograde`` (graders.grading.plugins.Execute sets
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


class CheckFailed(AssertionError):
    """An autograder test cell's check did not pass (the message says why)."""


def _run(assignment: str, only: list[str] | None, visible_only: bool):
    """The Report (graders.checking.checks.Report) of ``python -m graders check`` on the answer file."""
    from graders import assignments
    from graders.checking.checks import Report
    answer = Path(assignments.get(assignment).answer_file)
    if not answer.exists():
        raise CheckFailed(f"{answer} does not exist yet: run the answer cell (%%writefile {answer}) first")
    command = [sys.executable, "-m", "graders", "check", assignment, str(answer), "--json"]
    for name in only or []:
        command += ["--only", name]
    if visible_only:
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


def selfcheck(assignment: str) -> bool:
    """Run the visible checks on your answer file and print every transcript.

    Returns True when all of them pass.  Hidden checks run only when graded.
    Under ``nbgrader autograde`` it does nothing (the autograder runs every
    check outside the notebook anyway) and returns True.
    """
    if os.environ.get("GRADERS_AUTOGRADE") == "1":
        print("self-check: skipped while autograding; every check runs outside the notebook.")
        return True
    from graders.checking.diagram import report_html
    report = _run(assignment, None, visible_only=True)
    _show(report.render(transcripts="all"), report_html(report, open_diagrams=True))
    if report.passed:
        print("\nAll visible checks pass. More (hidden) checks run when your work is graded.")
    return report.passed


def check(assignment: str, name: str) -> None:
    """An autograder test cell: run one check; raise CheckFailed if it does not pass."""
    if os.environ.get("GRADERS_AUTOGRADE") == "1":
        print(f"{name}: graded by the autograder outside the notebook.")
        return
    from graders.checking.diagram import result_html
    report = _run(assignment, [name], visible_only=False)
    result = report.result(name)
    _show(result.render(transcripts="all"), result_html(result, open_diagram=True))
    if not result.passed:
        # The whole verdict (rationale, expected/actual, hint, transcript): nbgrader's Validate
        # button shows a failing cell's error and nothing it displayed.
        raise CheckFailed(result.render(transcripts="failed")) from None
