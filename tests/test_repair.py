"""graders.grading.repair and graders.grading.diagnose without a kernel: nbgrader's own sanitizing preprocessors
on mangled notebooks (tests/mangled/build.py), against a real gradebook made by nbgrader's SaveCells.

The end-to-end grades of the same corpus are in tests/test_mangled.py (slow).
"""
from __future__ import annotations

import json

import nbformat
import pytest
from nbgrader.preprocessors import DeduplicateIds
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells

from graders.checking import answers
from graders.grading import diagnose
from graders.course.paths import environment
from graders.grading.repair import OverwriteCells, RepairCells
from mangled import build


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """A gradebook holding the clock assignment's cells, as `nbgrader generate_assignment` saves them."""
    url = f"sqlite:///{tmp_path_factory.mktemp('gradebook') / 'gradebook.db'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PATH", environment()["PATH"])  # nbgrader runs `alembic` to create a gradebook
        build.source_gradebook(url)
    return url


def resources(url: str) -> dict:
    return {"nbgrader": {"db_url": url, "assignment": "clock", "notebook": "clock", "student": "s"}}


def sanitize(nb, url, *, ours=True):
    """nbgrader's sanitizing pass as nbgrader_config.py configures it (ours) or as nbgrader ships it."""
    steps = [RepairCells()] if ours else []
    steps += [DeduplicateIds(), (OverwriteCells if ours else NbgraderOverwriteCells)(add_missing_cells=True)]
    for step in steps:
        nb, _ = step.preprocess(nb, resources(url))
    return nb


def grade_ids(nb, *, tests_only=False) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
            and (c.metadata["nbgrader"].get("grade") or not tests_only)]


def max_points(nb) -> float:
    return sum(c.metadata["nbgrader"].get("points", 0) for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))


def case(name: str):
    return next(c for c in build.CASES if c.name == name)


def mangled(name: str):
    return nbformat.reads(build.submission(case(name))[build.NOTEBOOK].decode(), as_version=4)


@pytest.mark.parametrize("name", ["duplicated_test", "duplicated_answer", "forged_grade_cell"])
def test_nbgrader_alone_fails_on_duplicated_and_forged_cells(gradebook, name):
    """nbgrader 0.9.6's DeduplicateIds + OverwriteCells(add_missing_cells): KeyError 'grade_id'
    (jupyter/nbgrader#1083, open).  If this starts passing, nbgrader fixed it: drop our OverwriteCells."""
    with pytest.raises(KeyError, match="grade_id"):
        sanitize(mangled(name), gradebook, ours=False)


def test_nbgrader_alone_cannot_put_back_a_test_cell_after_a_missing_cell(gradebook):
    """add_missing_cells puts a deleted test cell after the instructor's cell before it, which must be there."""
    nb = build.load("correct")
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in
                ("clock_server", "test_starts")]
    with pytest.raises(KeyError):
        sanitize(copy_of(nb), gradebook, ours=False)
    repaired = sanitize(nb, gradebook)
    assert grade_ids(repaired).count("test_starts") == 1


def copy_of(nb):
    return nbformat.reads(nbformat.writes(nb), as_version=4)


@pytest.mark.parametrize("c", [c for c in build.CASES if c.grade not in ("unreadable",) and c.files is None],
                         ids=lambda c: c.name)
def test_every_case_is_repaired_to_the_instructor_cells_with_its_notes(gradebook, c):
    nb = sanitize(mangled(c.name), gradebook)
    reference = sanitize(build.load("correct"), gradebook)
    only = c.grade == "zero"  # no cells at all: nbgrader puts back the test cells only
    assert sorted(grade_ids(nb, tests_only=only)) == sorted(grade_ids(reference, tests_only=only))  # once each
    assert max_points(nb) == max_points(reference)
    notes = nb.metadata.get("graders", {}).get("notes", [])
    for words in c.notes:
        assert any(words in n for n in notes), (words, notes)
    if not c.notes:
        assert notes == []
    if c.grade != "zero" and c.name != "duplicated_answer_variant":  # that one: the next test
        source, note = answers.find_answer(nb, "clock_server.py")
        assert note is None and source == answers.answer_source(build.load(c.base), "clock_server.py")


def test_the_last_copy_of_a_duplicated_answer_is_the_answer(gradebook):
    nb = sanitize(mangled("duplicated_answer_variant"), gradebook)
    assert answers.answer_source(nb, "clock_server.py") == build.WRONG_SERVER


def test_an_answer_cell_without_its_writefile_line_gets_it_back_first(gradebook):
    nb = sanitize(mangled("no_writefile"), gradebook)
    cell = nb.cells[[i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")][0]]
    assert cell.source.startswith("%%writefile clock_server.py\n")
    assert answers.answer_source(nb, "clock_server.py") == build.CORRECT_SERVER


def test_a_student_cannot_write_the_autograders_notes(gradebook):
    nb = build.load("correct")
    nb.metadata["graders"] = {"notes": ["graded by hand: 100/100"], "checks": {"clock.starts": "pass"}}
    assert sanitize(nb, gradebook).metadata["graders"] == {}


def test_restore_writefile_puts_the_line_first():
    assert answers.restore_writefile("%%writefile a.py\nx = 1\n", "a.py") == ("%%writefile a.py\nx = 1\n", None)
    source, what = answers.restore_writefile("x = 1\n", "a.py")
    assert source == "%%writefile a.py\nx = 1\n" and "did not start" in what
    source, what = answers.restore_writefile("import os\n%%writefile a.py\nx = 1", "a.py")
    assert source == "%%writefile a.py\nimport os\nx = 1" and "line 2" in what
    source, what = answers.restore_writefile("%%writefile b.py\nx = 1", "a.py")
    assert source == "%%writefile a.py\nx = 1" and "%%writefile b.py" in what


def test_find_answer_takes_an_answer_cell_without_the_line_and_says_so():
    nb = build.drop_writefile(build.load("correct"))
    source, note = answers.find_answer(nb, "clock_server.py")
    assert source == build.CORRECT_SERVER and "does not start with `%%writefile clock_server.py`" in note


# -- graders.grading.diagnose -------------------------------------------------------------------------

@pytest.mark.parametrize("c", [c for c in build.CASES if c.grade == "unreadable"], ids=lambda c: c.name)
def test_precheck_names_why_a_notebook_cannot_be_read(tmp_path, c):
    path = tmp_path / build.NOTEBOOK
    path.write_bytes(build.submission(c)[build.NOTEBOOK])
    reason = diagnose.precheck(path)
    assert reason and reason.startswith(build.NOTEBOOK)
    for words in c.notes:
        assert words in reason


def test_precheck_passes_readable_notebooks_and_refuses_oversized_ones(tmp_path):
    path = tmp_path / build.NOTEBOOK
    path.write_bytes(build.dump(build.load("correct")))
    assert diagnose.precheck(path) is None
    reason = diagnose.precheck(path, max_bytes=1000)
    assert "MB, more than" in reason and "Clear All Outputs" in reason
    path.write_text(json.dumps({"hello": "world"}))
    assert "not a Jupyter notebook" in diagnose.precheck(path)


def test_arrange_grades_a_lone_misnamed_notebook_and_leaves_extra_ones_out():
    for c in (case("other_name"), case("two_notebooks")):
        arranged = diagnose.arrange(build.submission(c), ["clock"])
        assert arranged.problem is None and build.NOTEBOOK in arranged.files
        for words in c.notes:
            assert any(words in n for n in arranged.notes), (words, arranged.notes)
    nothing = diagnose.arrange({"a.ipynb": b"{}", "b.ipynb": b"{}"}, ["clock"])
    assert "clock.ipynb was not handed in" in nothing.notes[0] and "'a.ipynb'" in nothing.notes[0]
    broken = diagnose.arrange(build.submission(case("truncated")), ["clock"])
    assert "cut short" in broken.problem


def test_explain_names_the_student_the_cell_and_the_cause(gradebook):
    try:
        sanitize(mangled("duplicated_test"), gradebook, ours=False)
    except KeyError as exc:
        text = diagnose.explain(exc, student="ada", assignment="clock", notebook=None)
    assert text.startswith("ada's clock: a cell") and "grade_id" in text and "jupyter/nbgrader#1083" in text
    assert "regrade with `python -m graders autograde clock --student ada`" in text
    try:
        raise ValueError("something odd")
    except ValueError as exc:
        text = diagnose.explain(exc, student="bo", assignment="clock")
    assert "ValueError: something odd, raised in test_repair.py" in text


def test_explain_log_reads_nbgraders_traceback():
    log = """[AutogradeApp | INFO] Sanitizing /c/submitted/ada/clock/clock.ipynb
[AutogradeApp | WARNING] Cell with id 'test_starts' exists multiple times!
[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/ada/clock
[AutogradeApp | ERROR] Traceback (most recent call last):
  File "/x/nbgrader/preprocessors/overwritecells.py", line 171, in add_missing_task_cells
    submitted_ids = [cell["metadata"]["nbgrader"]["grade_id"] for cell in nb.cells if
KeyError: 'grade_id'

[AutogradeApp | ERROR] Please see the the above traceback for details on the specific errors on the above failures.
Traceback (most recent call last):
nbgrader.converters.base.NbGraderException: Please see the the above traceback for details.
"""
    text = diagnose.explain_log(log, student="ada", assignment="clock")
    assert "ada's clock" in text and "Cell with id 'test_starts' exists multiple times" in text
    assert "without a grade_id" in text


def test_explain_log_of_a_misnamed_notebook_lists_what_was_handed_in(tmp_path):
    """nbgrader's own words ("did you forget to run generate_assignment?") point the instructor elsewhere."""
    (tmp_path / "Clock (1).ipynb").write_bytes(build.dump(build.load("correct")))
    log = ("[ERROR] No notebooks found, did you forget to run 'nbgrader generate_assignment'?\n"
           "[ERROR] Traceback (most recent call last):\n"
           '  File "/x/nbgrader/converters/autograde.py", line 150, in init_assignment\n'
           "nbgrader.converters.base.NbGraderException: No notebooks found, did you forget to run "
           "'nbgrader generate_assignment'?\n")
    text = diagnose.explain_log(log, student="cy", assignment="clock", notebook=tmp_path)
    assert "there is no clock.ipynb in submitted/cy/clock/ (it has 'Clock (1).ipynb')" in text
    assert "rename the notebook to grade to clock.ipynb" in text
