"""The swap checks: both accepted ways to treat a client that leaves while it waits,
and verdicts that hold under load."""
from __future__ import annotations

import threading
from pathlib import Path

from graders import assignments
from graders.checks import run_checks

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "swap"
SWAP = assignments.get("swap")


def transcript(report, check):
    return "\n".join(report.result(check).transcript)


def test_a_departed_waiting_client_may_be_dropped_or_paired():
    dropped = run_checks(SWAP, EXAMPLES / "correct.py", only=["waiting_client_leaves"])
    paired = run_checks(SWAP, EXAMPLES / "threads_raw.py", only=["waiting_client_leaves"])
    assert dropped.passed and paired.passed, dropped.render() + paired.render()
    # correct.py notices a hang-up within 0.1 s; under load B may still come first: both pass
    assert "B       receives 'C is here\\n'" in transcript(dropped, "waiting_client_leaves") or \
        "B       receives 'A will not" in transcript(dropped, "waiting_client_leaves")
    assert "B       receives 'A will not" in transcript(paired, "waiting_client_leaves")


def test_correct_servers_pass_while_others_are_graded():
    reports = []
    cases = ["correct.py", "asyncio_server.py", "threads_raw.py"]
    threads = [threading.Thread(target=lambda c=c: reports.append(run_checks(SWAP, EXAMPLES / c)))
               for c in cases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert len(reports) == 3
    assert all(r.passed for r in reports), "\n".join(r.render() for r in reports if not r.passed)
