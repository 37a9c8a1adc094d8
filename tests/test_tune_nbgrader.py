"""What graders.grading.worker.tune_nbgrader and graders.grading.batch's one-transaction SaveAutoGrades change in
nbgrader: the cost, never the result.  Real nbgrader preprocessors on a real gradebook made by
nbgrader's SaveCells from the clock assignment's source notebook.
"""
from __future__ import annotations

import copy
import shutil

import jsonschema
import nbformat
import pytest
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import MetadataValidator
from nbgrader.preprocessors import SaveAutoGrades

from graders.grading import batch
from graders.grading import worker
from graders.course.paths import environment
from mangled import build

pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader's add_submission

SOLUTION = build.REPO / "solutions" / "clock" / "clock.ipynb"


def resources(url: str) -> dict:
    return {"nbgrader": {"db_url": url, "assignment": "clock", "notebook": "clock", "student": "s"}}


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory):
    """The clock assignment's gradebook with student ``s``'s submission, as nbgrader makes them."""
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PATH", environment()["PATH"])  # nbgrader runs `alembic` to create a gradebook
        build.source_gradebook(url)
        with Gradebook(url) as gb:
            gb.add_student("s")
            gb.add_submission("clock", "s")
    return path


def graded_notebook():
    """The source notebook as a kernel leaves it: the first autograder test cell failed."""
    nb = nbformat.read(str(SOLUTION), as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    assert len(tests) >= 2
    tests[0].outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="no", traceback=[])]
    return nb


def saved(path) -> dict:
    with Gradebook(f"sqlite:///{path}") as gb:
        notebook = gb.find_submission_notebook("clock", "clock", "s")
        return {g.name: (g.auto_score, g.needs_manual_grade) for g in notebook.grades} | \
               {f"comment {c.name}": c.auto_comment for c in notebook.comments}


def test_metadata_validation_still_rejects_bad_metadata_and_checks_the_schema_once(monkeypatch):
    worker.compile_metadata_schema_once()
    worker.compile_metadata_schema_once()  # idempotent
    nb = nbformat.read(str(SOLUTION), as_version=4)
    checked = []
    cls = jsonschema.validators.validator_for(MetadataValidator().schema)
    original = cls.check_schema
    monkeypatch.setattr(cls, "check_schema", classmethod(
        lambda klass, schema, *args, **kwargs: (checked.append(1), original(schema, *args, **kwargs))[1]))
    for _ in range(3):
        MetadataValidator().validate_nb(nb)  # the assignment's own notebook is valid
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    cell.metadata["nbgrader"]["points"] = "ten"
    with pytest.raises(jsonschema.ValidationError, match="ten"):
        MetadataValidator().validate_nb(nb)
    del cell.metadata["nbgrader"]["points"]
    cell.metadata["nbgrader"]["grade_id"] = 7
    with pytest.raises(jsonschema.ValidationError):
        MetadataValidator().validate_nb(nb)
    assert len(checked) <= 1  # the schema was checked when its validator was made, if after the patch


def test_grades_saved_at_once_equal_nbgrader_s_own(gradebook, tmp_path):
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    shutil.copyfile(gradebook, ours)
    shutil.copyfile(gradebook, theirs)
    nb = graded_notebook()
    batch._save_auto_grades_at_once()().preprocess(copy.deepcopy(nb), resources(f"sqlite:///{ours}"))
    SaveAutoGrades().preprocess(copy.deepcopy(nb), resources(f"sqlite:///{theirs}"))
    assert saved(ours) == saved(theirs)
    assert saved(ours) != saved(gradebook)  # something was saved
    assert 0 in [value[0] for name, value in saved(ours).items() if not name.startswith("comment")]


def test_a_notebook_s_grades_are_saved_all_together_or_not_at_all(gradebook, tmp_path):
    copy_db = tmp_path / "gradebook.db"
    shutil.copyfile(gradebook, copy_db)
    nb = graded_notebook()
    last = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")][-1]
    last.metadata["nbgrader"]["grade_id"] = "not-in-the-gradebook"
    before = saved(copy_db)
    with pytest.raises(MissingEntry):
        batch._save_auto_grades_at_once()().preprocess(nb, resources(f"sqlite:///{copy_db}"))
    assert saved(copy_db) == before


def test_gradebooks_share_an_engine_only_when_they_are_the_same_file(gradebook, tmp_path, monkeypatch):
    worker.share_gradebook_engines()
    worker.share_gradebook_engines()  # idempotent
    monkeypatch.setenv("PATH", environment()["PATH"])  # nbgrader runs `alembic` to create a gradebook
    link = tmp_path / "link.db"
    link.symlink_to(gradebook)
    same = [f"sqlite:///{gradebook}", f"sqlite:///{gradebook.parent}/./{gradebook.name}", f"sqlite:///{link}"]
    engines = []
    for url in same:
        with Gradebook(url) as gb:
            engines.append(gb.engine)
            assert gb.find_student("s")
    assert all(e is engines[0] for e in engines)
    # nbgrader's own tests open many `sqlite:///:memory:` gradebooks, each its own database
    with Gradebook("sqlite:///:memory:") as one, Gradebook("sqlite:///:memory:") as two:
        assert one.engine is not two.engine
        one.add_student("only-in-one")
        assert [s.id for s in two.students] == []
    monkeypatch.chdir(gradebook.parent)  # a relative path depends on the current directory: not shared
    with Gradebook(f"sqlite:///{gradebook.name}") as relative:
        assert relative.engine is not engines[0]
