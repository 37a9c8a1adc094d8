"""Self-study runs every check; a course's student view says how many hidden checks did not run.

Where the hidden checks are available (a clone of the repository) the
notebook's self-check and test cells run them too; in a course's student view
(graders/course/student_view.py takes them out and records how many) the self-check
says how many more run when the work is graded, and under nbgrader's Validate
the first withheld test cell fails with that count, so that Validate never says
"passes all the tests" while checks did not run (issue 23).
"""
from __future__ import annotations

import re

import sys
import types
from pathlib import Path

import nbformat
import pytest

from graders import assignments
from graders.grading import notebook
from graders.course import student_view
from graders.checking.checks import CheckResult, Report
from graders.course.release import NOTEBOOKS, SOLUTIONS

NAMES = ("clock", "swap", "secret_number", "secret_word")


def course_view(monkeypatch, name: str):
    """Make ``graders.assignments.NAME`` the course's student view of it (hidden checks withheld)."""
    source = (student_view.ASSIGNMENTS / f"{name}.py").read_text()
    module = types.ModuleType(f"graders.assignments.{name}")
    module.__package__ = "graders.assignments"
    exec(compile(student_view.strip_hidden(source, f"{name}.py"), f"<view of {name}>", "exec"), module.__dict__)
    monkeypatch.setitem(sys.modules, f"graders.assignments.{name}", module)
    return assignments.get(name)


@pytest.mark.parametrize("name", NAMES)
def test_a_clone_is_self_study_and_a_student_view_is_a_course(monkeypatch, name):
    full = assignments.get(name)
    hidden = sum(c.hidden for c in full.checks.values())
    assert hidden and notebook.mode(name) == "self-study" and full.withheld == 0
    assert f"the {hidden} hidden ones too" in notebook.mode_line(name)
    view = course_view(monkeypatch, name)
    assert view.withheld == hidden and not any(c.hidden for c in view.checks.values())
    assert notebook.mode(name) == "course"
    assert f"the {hidden} hidden ones are your instructor's" in notebook.mode_line(name)


def _report(statuses: list[tuple[str, bool]]) -> Report:
    return Report("swap", "swap_server.py", "namespaces",
                  [CheckResult(f"c{i}", f"check {i}", status, hidden=hidden)
                   for i, (status, hidden) in enumerate(statuses)])


def test_the_summary_never_says_all_while_checks_did_not_run():
    visible_pass = _report([("pass", False)] * 4)
    course = notebook.summary(visible_pass, withheld=6)
    assert course == "All 4 visible checks pass; 6 more (hidden) run when your work is graded, not here."
    failing = notebook.summary(_report([("pass", False)] * 3 + [("fail", False)]), withheld=6)
    assert failing.startswith("3 of 4 visible checks pass, 1 does not; 6 more")
    assert "graders check swap swap_server.py" in failing
    everything = _report([("pass", False)] * 4 + [("pass", True)] * 10)
    assert notebook.summary(everything, withheld=0) == "All 14 checks pass, the 10 hidden ones included."
    some = notebook.summary(_report([("pass", False)] * 4 + [("fail", True)] * 4 + [("pass", True)] * 6), 0)
    assert some.startswith("10 of 14 checks pass") and "graders check swap swap_server.py" in some


def test_a_withheld_check_says_so_and_fails_validate_once(monkeypatch, capsys):
    view = course_view(monkeypatch, "swap")
    monkeypatch.setattr(notebook, "_withheld_reported", set())
    monkeypatch.delenv("NBGRADER_VALIDATING", raising=False)
    notebook.check("swap", "many_at_once")  # interactively: a line, no error
    assert "hidden check" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_VALIDATING", "1")
    with pytest.raises(notebook.HiddenChecksNotRun) as caught:
        notebook.check("swap", "many_at_once")
    message = str(caught.value)
    assert message.startswith(f"Not run here: {view.withheld} hidden checks")
    assert max(len(line) for line in message.split("\n")) <= notebook.VALIDATE_WIDTH
    assert caught.value._render_traceback_() == message.split("\n")  # the explanation, no traceback
    notebook.check("swap", "silent_client")  # the count was given once: the other cells print
    assert "hidden check" in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_the_workbooks_hidden_cells_call_their_checks_with_valid_checksums(name):
    from nbgrader.utils import compute_checksum
    released = nbformat.read(NOTEBOOKS / name / f"{name}.ipynb", as_version=4)
    source = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source
              for c in nbformat.read(SOLUTIONS / name / f"{name}.ipynb", as_version=4).cells}
    hidden = [c for c in released.cells if "BEGIN HIDDEN TESTS" in source.get(
        c.metadata.get("nbgrader", {}).get("grade_id"), "")]
    called = set(re.findall(rf'check\("{name}", "(\w+)"\)', "".join(c.source for c in hidden)))
    assert called == {c.name for c in assignments.get(name).checks.values() if c.hidden}  # explore shares a cell
    for cell in hidden:
        assert f'check("{name}", "' in cell.source and "HIDDEN TESTS" not in cell.source
        assert cell.metadata.nbgrader.checksum == compute_checksum(cell)


def test_a_course_release_hidden_cell_says_its_check_did_not_run(monkeypatch, capsys):
    """nbgrader's release takes the hidden region (the check() call) out; hidden_test() is what is left."""
    view = course_view(monkeypatch, "swap")
    monkeypatch.setattr(notebook, "_withheld_reported", set())
    monkeypatch.setattr(notebook, "_check_ran_in", None)
    monkeypatch.setenv("NBGRADER_VALIDATING", "1")
    with pytest.raises(notebook.HiddenChecksNotRun, match=f"Not run here: {view.withheld} hidden checks"):
        notebook.hidden_test("swap")
    notebook.hidden_test("swap")
    assert "a hidden test: Not run here" in capsys.readouterr().out


def test_hidden_test_is_silent_after_its_check_ran(monkeypatch, capsys):
    monkeypatch.setattr(notebook, "_check_ran_in", None)
    monkeypatch.setenv("GRADERS_AUTOGRADE", "1")  # check() does not grade here: it records the cell
    notebook.check("swap", "silent_client")
    monkeypatch.delenv("GRADERS_AUTOGRADE")
    capsys.readouterr()
    notebook.hidden_test("swap")  # the region's check() ran in this cell: nothing to say
    assert capsys.readouterr().out == ""
    notebook.hidden_test("swap")  # no check() in this one (self-study with a course's release)
    assert "the self-check above runs every check" in capsys.readouterr().out


@pytest.mark.parametrize("name", NAMES)
def test_every_hidden_test_cell_ends_with_hidden_test(name):
    for cell in nbformat.read(SOLUTIONS / name / f"{name}.ipynb", as_version=4).cells:
        if "BEGIN HIDDEN TESTS" in cell.source:
            assert cell.source.rstrip().endswith(f'### END HIDDEN TESTS\nhidden_test("{name}")'), cell.source


@pytest.mark.slow
def test_validate_in_a_course_says_how_many_hidden_checks_did_not_run(tmp_path):
    """nbgrader validate with the course's student view: never "passes", and the count is given."""
    import shutil
    import subprocess
    from graders.course import REPO, environment
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("graders", "servers"):  # the package as the student view shows it
        shutil.copytree(REPO / package, tmp_path / "view" / package, ignore=ignore)
    student_view.write(tmp_path / "view" / "graders" / "assignments")
    work = tmp_path / "swap"
    shutil.copytree(NOTEBOOKS / "swap", work)
    nb = nbformat.read(work / "swap.ipynb", as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "%%writefile swap_server.py\n" + (REPO / "examples" / "swap" / "correct.py").read_text()
    nbformat.write(nb, work / "swap.ipynb")
    env = dict(environment(), PYTHONPATH=str(tmp_path / "view"))
    done = subprocess.run([sys.executable, "-m", "nbgrader", "validate", "swap.ipynb"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    out = done.stdout
    assert "passes" not in out.lower() and "VALIDATION FAILED ON 1 CELL(S)" in out, out[-3000:]
    hidden = sum(c.hidden for c in assignments.get("swap").checks.values())
    assert f"Not run here: {hidden} hidden checks are your instructor's" in out, out[-3000:]
    assert "Validate can vouch only for the 4 visible checks" in out


def test_the_printed_command_finds_the_answer_file_from_where_the_student_is(tmp_path, monkeypatch, capsys):
    """`graders check swap swap_server.py` in notebooks/swap/, in notebooks/ (JupyterLab's terminal
    may open there) and in the repository; elsewhere it says where to go."""
    from graders.__main__ import _find, main
    answer = tmp_path / "notebooks" / "swap" / "swap_server.py"
    answer.parent.mkdir(parents=True)
    answer.write_text("pass\n")
    for where, found in ((answer.parent, "swap_server.py"), (tmp_path / "notebooks", "swap/swap_server.py"),
                         (tmp_path, "notebooks/swap/swap_server.py")):
        monkeypatch.chdir(where)
        assert str(_find(Path("swap_server.py"), "swap")) == found
    monkeypatch.chdir(tmp_path / "notebooks" / "swap")
    assert main(["check", "swap", "no_such_server.py"]) == 2
    error = capsys.readouterr().err
    assert "no such file: no_such_server.py" in error and "run this in its folder" in error


def test_the_console_script_is_declared():
    import tomllib
    from graders.course import REPO
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["graders"] == "graders.__main__:run"
