"""nbgrader's own tests, run against the installed nbgrader with our tuning applied (issue 25).

:func:`graders.grading.worker.tune_nbgrader` patches nbgrader in every grading process
(a shared SQLAlchemy engine per gradebook file, the cell metadata schema
compiled once) and promises that nothing nbgrader computes changes.  The tests
that ship with nbgrader for what we patch or plug into (``api``,
``nbgraderformat``, ``preprocessors``: 384 tests in nbgrader 0.9.6) are the
outside judge of that promise: they run here in a pytest process of their own
(tests/_nbgrader_suite_plugin.py applies the tuning first), and the test fails
if any of them fails, but for the few listed in :data:`NBGRADER_S_OWN`, which
fail the same way with nbgrader as installed, without any code of ours.

Counts (nbgrader 0.9.6, run from a directory that is not nbgrader's source
checkout): stock 373 passed, 11 failed (:data:`NBGRADER_S_OWN`); with the
tuning of before issue 25 (an engine per URL, ``:memory:`` included) 13 failed,
the two more in ``api/test_gradebook.py``; tuned now, 373 passed, 11 failed,
the same 11.  (Run from the root of nbgrader's sources, here site-packages, the
11 pass too: they execute notebooks in kernels, 45 s more.)

Cost, measured on this 2-core machine while others ran tests (load 26 to 45):
120 to 165 s wall, 25 s of CPU for the module; idle, about its CPU time.  nbgrader asks
``alembic heads`` (a Python process) for every new gradebook; the plug-in asks
once (the same answer): 8 minutes less.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbgrader
import pytest

HERE = Path(__file__).resolve().parent
SUITE = Path(nbgrader.__file__).resolve().parent / "tests"
# make test runs it; CI's second pass (-m 'not slow') does not: 2 to 2.5 minutes of wall time here under load
pytestmark = pytest.mark.slow
PARTS = ["api", "nbgraderformat", "preprocessors"]  # what tune_nbgrader patches, what our plug-ins subclass

_AUTOTESTS = ("it reads nbgrader/docs/source/user_guide/autotests.yml relative to the current directory, "
              "i.e. it must run from a checkout of nbgrader's sources: run from anywhere else (as here), "
              "the file is not found")
# Tests of the installed nbgrader that fail without any code of ours (checked below by running them
# stock): node id -> (a phrase of the failure message, why).
NBGRADER_S_OWN = {
    f"preprocessors/test_instantiatetests.py::TestInstantiateTests::{name}": ("autotests.yml", _AUTOTESTS)
    for name in ["test_load_test_template_file", "test_replace_autotest_code", "test_consistent_release_version",
                 "test_kernel_right_workingdir", "test_kernel_wrong_workingdir", "test_warning_autotest_nongrade",
                 "test_error_autotest_nongrade", "test_int_autotest", "test_float_autotest", "test_string_autotest",
                 "test_list_autotest"]
}


def run_suite(mode: str, paths: list[str], tmp_path: Path) -> dict:
    """Run nbgrader's tests ``paths`` (relative to nbgrader/tests) in a new pytest process, ``mode``
    "tuned" or "stock"; returns the plug-in's report (``tests``: node id -> outcome, message)."""
    report = tmp_path / f"{mode}.json"
    work = tmp_path / f"{mode}-cwd"  # not nbgrader's source checkout, nor ours
    work.mkdir()
    env = dict(os.environ, GRADERS_NBGRADER_SUITE=mode, GRADERS_NBGRADER_SUITE_REPORT=str(report),
               PYTHONPATH=os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
               # nbgrader runs `alembic` from PATH
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "_nbgrader_suite_plugin",
                           "-c", os.devnull, "--rootdir", str(SUITE), "--tb=line", "-W", "ignore",
                           *[str(SUITE / p) for p in paths]],
                          cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    assert report.exists(), f"nbgrader's suite did not report (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    data = json.loads(report.read_text())
    data["output"] = done.stdout[-5000:] + done.stderr[-2000:]
    return data


def failures(data: dict) -> dict[str, str]:
    return {node: entry["message"] for node, entry in data["tests"].items() if entry["outcome"] == "failed"}


@pytest.mark.timeout(900)  # 384 tests in a process of their own: minutes on a loaded machine
def test_nbgrader_s_own_tests_pass_with_our_tuning(tmp_path):
    tuned = run_suite("tuned", PARTS, tmp_path)
    assert tuned["tuned"], "the plug-in did not apply graders.grading.worker.tune_nbgrader"
    assert len(tuned["tests"]) >= 384, f"only {len(tuned['tests'])} of nbgrader 0.9.6's 384 tests ran:\n{tuned['output']}"
    failed = failures(tuned)
    ours = {node: message for node, message in failed.items() if node not in NBGRADER_S_OWN}
    assert not ours, "nbgrader's own tests fail with tune_nbgrader applied:\n" + "\n".join(
        f"  {node}: {message[:500]}" for node, message in sorted(ours.items()))
    for node, (phrase, why) in NBGRADER_S_OWN.items():
        assert node in failed, f"{node} now passes: take it off NBGRADER_S_OWN ({why})"
        assert phrase in failed[node], f"{node} fails otherwise than listed ({why}): {failed[node][:500]}"


def test_the_listed_failures_are_nbgrader_s_own(tmp_path):
    """Each listed failure fails the same way with nbgrader as installed, without our tuning."""
    modules = sorted({node.split("::")[0] for node in NBGRADER_S_OWN})
    stock = run_suite("stock", modules, tmp_path)
    assert not stock["tuned"]
    failed = failures(stock)
    for node, (phrase, why) in NBGRADER_S_OWN.items():
        assert node in failed and phrase in failed[node], f"{node} does not fail stock as listed ({why})"
