"""Gradescope's autograder format: run_autograder on real submissions, checked against the spec's schema.

graders.reports.gradescope.SCHEMA is written from Gradescope's autograder
specification ("Output format"); jsonschema checks every results.json here
against it.  The course export (results.json from a gradebook) is checked in
tests/test_course_exchange.py, on the round's real gradebook.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from graders.reports import gradescope

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
SUBMISSIONS = {  # case: the file a student uploads to Gradescope
    "correct": EXAMPLES / "submissions" / "correct" / "clock" / "clock.ipynb",
    "wrong_answer": EXAMPLES / "clock" / "wrong_answer.py",
    "empty": None,
}


def full_marks() -> float:
    return sum(c.points for c in gradescope.test_cells("clock"))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Each submission graded by the run_autograder script, as Gradescope runs it (all at once)."""
    runs = {}
    for case, upload in SUBMISSIONS.items():
        home = tmp_path_factory.mktemp(f"autograder-{case}")
        (home / "source").symlink_to(REPO)
        (home / "submission").mkdir()
        if upload is not None:
            name = upload.name if upload.suffix == ".ipynb" else "clock_server.py"
            (home / "submission" / name).write_bytes(upload.read_bytes())
        script = gradescope.write_run_autograder("clock", home)
        env = dict(os.environ, AUTOGRADER_ROOT=str(home), GRADERS_PYTHON=sys.executable)
        runs[case] = (home, subprocess.Popen([str(script)], env=env, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL))
    results = {}
    for case, (home, process) in runs.items():
        out, _ = process.communicate(timeout=240)
        assert process.returncode == 0, out
        results[case] = json.loads((home / "results" / "results.json").read_text())
    return results


def test_every_results_json_has_the_documented_format(graded):
    for case, results in graded.items():
        jsonschema.validate(results, gradescope.SCHEMA)
        assert results["tests"], case


def test_scores_are_those_nbgrader_gives(graded):
    expected = json.loads((EXAMPLES / "clock" / "expected.json").read_text())
    for case in ("correct", "wrong_answer"):
        results = graded[case]
        assert results["score"] == pytest.approx(expected[case]["score"]), case
        assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
        assert sum(t["max_score"] for t in results["tests"]) == pytest.approx(full_marks())
    assert graded["correct"]["score"] == pytest.approx(full_marks())
    assert all(t["status"] == "passed" for t in graded["correct"]["tests"])


def test_each_test_shows_the_transcript_and_hidden_ones_wait_for_publication(graded):
    wrong = graded["wrong_answer"]["tests"]
    answers = next(t for t in wrong if t["extra_data"]["grade_id"] == "test_answers_question")
    assert answers["status"] == "failed" and answers["score"] == 0
    assert "What is the time?" in answers["output"]  # what the client sent
    hidden = {c.grade_id for c in gradescope.test_cells("clock") if c.hidden}
    assert hidden
    for test in wrong:
        want = "after_published" if test["extra_data"]["grade_id"] in hidden else "visible"
        assert test["visibility"] == want, test["name"]


def test_an_empty_submission_scores_zero_and_says_what_to_upload(graded):
    results = graded["empty"]
    assert results["score"] == 0
    assert "upload clock.ipynb or clock_server.py" in results["output"]


@pytest.mark.parametrize("broken", [
    {"tests": [{"name": "no max_score", "score": 1}]},
    {"score": 1, "tests": [{"name": "t", "score": 1, "max_score": 1, "visibility": "everyone"}]},
    {"output": "neither a score nor tests"},
    {"score": "10"},
])
def test_the_schema_rejects_what_the_spec_does_not_allow(broken):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, gradescope.SCHEMA)


def test_the_bundle_has_gradescope_s_two_scripts_and_one_solution(tmp_path):
    path = gradescope.bundle("clock", tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        script = z.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "pyproject.toml", "graders/reports/gradescope.py",
            "solutions/clock/clock.ipynb"} <= set(names)
    assert modes["run_autograder"] & stat.S_IXUSR and modes["setup.sh"] & stat.S_IXUSR
    assert not [n for n in names if n.startswith("solutions/") and not n.startswith("solutions/clock/")]
    assert "python -m graders gradescope clock" in script.replace('"$PYTHON"', "python")
