"""A pytest plug-in for running nbgrader's own test suite (``-p _nbgrader_suite_plugin``), used by
tests/test_nbgrader_suite.py in a pytest process of its own.

With ``GRADERS_NBGRADER_SUITE=tuned`` it applies :func:`graders.grading.worker.tune_nbgrader` before any
test runs (what every grading process of ours does); with ``stock`` it leaves nbgrader as
installed.  Either way:

* nbgrader's ``get_alembic_version()`` (``alembic heads``: a Python process per new gradebook,
  most of the suite's CPU) is asked once, really, and its answer returned afterwards: the same
  string, for the same installed migrations;
* every test's outcome (node id, passed/failed/skipped, the crash line) is written as JSON to
  the file named by ``GRADERS_NBGRADER_SUITE_REPORT``, with whether the tuning was applied.
"""
from __future__ import annotations

import json
import os

_OUTCOMES: dict[str, dict] = {}


def pytest_configure(config) -> None:
    import nbgrader.api
    version = nbgrader.api.get_alembic_version()
    nbgrader.api.get_alembic_version = lambda: version
    if os.environ.get("GRADERS_NBGRADER_SUITE") == "tuned":
        from graders.grading.worker import tune_nbgrader
        tune_nbgrader()


def _tuned() -> bool:
    import nbgrader.api
    import nbgrader.nbgraderformat.common as common
    return bool(getattr(nbgrader.api.create_engine, "graders_shared", False)
                and getattr(common.jsonschema, "graders_compiled", False))


def pytest_report_header(config) -> str:
    import nbgrader
    return f"graders: nbgrader {nbgrader.__version__}, tune_nbgrader {'applied' if _tuned() else 'not applied'}"


def pytest_runtest_logreport(report) -> None:
    entry = _OUTCOMES.setdefault(report.nodeid, {"outcome": "passed", "message": ""})
    if report.failed or (report.skipped and entry["outcome"] == "passed"):
        if entry["outcome"] != "failed":
            entry["outcome"] = "failed" if report.failed else "skipped"
            crash = getattr(report.longrepr, "reprcrash", None)
            entry["message"] = (crash.message if crash is not None else str(report.longrepr))[:2000]
            entry["when"] = report.when


def pytest_collectreport(report) -> None:
    if report.failed:
        _OUTCOMES[report.nodeid or "<collection>"] = {"outcome": "failed", "when": "collect",
                                                      "message": str(report.longrepr)[:2000]}


def pytest_sessionfinish(session, exitstatus) -> None:
    path = os.environ.get("GRADERS_NBGRADER_SUITE_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump({"tuned": _tuned(), "exitstatus": int(exitstatus), "tests": _OUTCOMES}, f, indent=1)
