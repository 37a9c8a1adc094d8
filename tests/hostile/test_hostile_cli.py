"""Hostile servers through the CLI (``python -m graders check clock FILE --json``), in both modes.

The ``fallback`` mode (no namespaces: what macOS and locked-down containers get) cleans up by
process group and marker variable, so only the cases it promises to contain are here; see
docs/isolation.md for what it gives up (a daemon that scrubs its environment escapes it).
A correct server is graded in-process at the same time and must keep full marks.
"""
from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from graders import assignments
from graders.checking.checks import Report, run_checks

from .conftest import CORRECT, SERVERS
from .test_hostile_servers import ANY, FULL, NO_ANSWER, WALL_LIMIT

CLOCK = assignments.get("clock")

CASES = [
    ("namespaces", "reads_forever", NO_ANSWER),
    ("namespaces", "daemonizes", FULL),
    ("fallback", "ignores_signals", FULL),
    ("fallback", "daemon_exits", ANY),
    ("fallback", "closes_at_once", NO_ANSWER),
    ("fallback", "floods_output", FULL),
    ("fallback", "daemonizes", FULL),  # scrubs its marker: only a cgroup catches it without namespaces
]


@pytest.mark.parametrize("mode,case,expected", [pytest.param(*c, id=f"{c[0]}-{c[1]}") for c in CASES])
def test_hostile_server_through_the_cli(mode, case, expected, watch, tmp_path):
    from graders.sandbox import isolation_mode
    if mode == "namespaces" and isolation_mode() != "namespaces":
        pytest.skip("no namespaces on this machine")
    if mode == "fallback" and case == "daemonizes":
        from graders import sandbox
        if not getattr(sandbox, "cgroup_support", lambda: "")():
            pytest.skip("without namespaces or cgroups a daemon that scrubs its environment escapes "
                        "(docs/isolation.md)")
    env = dict(os.environ, GRADERS_ISOLATION=mode)
    neighbour: dict[str, Report] = {}
    thread = threading.Thread(target=lambda: neighbour.update(report=run_checks(CLOCK, CORRECT)))
    thread.start()
    began = time.monotonic()
    try:
        # under a subreaper (tests/_watch.py): what the command leaves behind stays findable as its own
        done = watch.run([sys.executable, "-m", "graders", "check", "clock", str(SERVERS / f"{case}.py"),
                          "--json"], env=env, cwd=tmp_path, timeout=WALL_LIMIT * 2)
    finally:
        thread.join(WALL_LIMIT * 2)
    seconds = time.monotonic() - began
    assert done.returncode in (0, 1), done.stderr[-3000:]
    report = Report.from_json(done.stdout)
    statuses = {r.name: r.status for r in report.results}
    print(f"{mode}/{case}: {statuses} in {seconds:.1f} s")
    assert report.isolation == mode
    assert seconds < WALL_LIMIT, f"{case} took {seconds:.1f} s to grade"
    assert "error" not in statuses.values(), report.render(transcripts="all")[-4000:]
    if expected is not ANY:
        assert statuses == expected, report.render(transcripts="all")[-4000:]
    assert done.returncode == (0 if report.passed else 1)
    assert not thread.is_alive() and neighbour["report"].passed, \
        neighbour["report"].render(transcripts="failed")[-3000:]
    # survivors (the subreaper's descendants: the CLI's tokens are not ours) are checked by the watch fixture
