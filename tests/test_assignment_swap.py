"""The swap checks: both accepted ways to treat a client that leaves while it waits, verdicts
that hold under load, and the mechanisms that make them deterministic (issue 9)."""
from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import nbformat

from graders import assignments
from graders.sandbox import watch
from graders.assignments import swap as swap_module
from graders.checking.checks import Run, run_checks
from graders.sandbox import isolation_mode

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "swap"
SWAP = assignments.get("swap")
REPO = Path(__file__).resolve().parent.parent


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


# -- the mechanisms that make swap's verdicts deterministic (issue 9) ----------------------------
NEVER_READS = '''import socket
server = socket.create_server(("", 12092))
kept = []
while True:
    kept.append(server.accept()[0])  # accepts, never reads
'''

SHOWS_SWITCHING = '''import socket, sys, threading
print("switch", sys.getswitchinterval(), "profile", threading._profile_hook is not None, flush=True)
server = socket.create_server(("", 12092))
while True:
    server.accept()
'''


def test_every_check_names_spec_points_the_notebook_states():
    nb = nbformat.read(str(REPO / "solutions" / "swap" / "swap.ipynb"), as_version=4)
    spec_cell = next(c.source for c in nb.cells if c.source.startswith("## The spec"))
    numbered = [int(n) for n in re.findall(r"^(\d+)\. ", spec_cell, re.M)]
    assert numbered == sorted(SWAP.spec) == list(range(1, len(SWAP.spec) + 1))
    for check in SWAP.checks.values():
        assert check.spec and set(check.spec) <= set(SWAP.spec), check.name
    for point in SWAP.spec:
        assert any(point in c.spec for c in SWAP.checks.values()), f"point {point} has no check"
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("grade")]
    # explore (issue 21) is graded in the cell of pairs_in_turn, beside it
    assert grade_ids == [f"test_{name}" for name in SWAP.checks if name != "explore"]
    assert 'check("swap", "explore")' in next(
        c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_pairs_in_turn")


def test_wait_read_tells_read_bytes_from_unread_ones(tmp_path):
    """The /proc/net/tcp receive queue: a reading server empties it, one that never reads does not."""
    never = tmp_path / "never_reads.py"
    never.write_text(NEVER_READS)
    for path, reads in ((never, False), (EXAMPLES / "correct.py", True)):
        run = Run(SWAP, path)
        try:
            server = run.start()
            client = server.client("A")
            client.send(b"half a line")
            assert swap_module.wait_read(server, client, timeout=0.5 if not reads else 5.0) is reads
            assert watch.unread(server, client) == (0 if reads else len(b"half a line"))
        finally:
            run.close()


def test_many_at_once_switches_threads_every_microsecond(tmp_path):
    shows = tmp_path / "shows.py"
    shows.write_text(SHOWS_SWITCHING)
    run = Run(SWAP, shows)
    try:
        server = swap_module.start_racy(run)
        assert swap_module.wait_until(lambda: "switch" in server.output(), 5.0)
        racy = isolation_mode() == "namespaces"
        assert ("switch 1e-06 profile True" if racy else "switch 0.005 profile False") in server.output()
    finally:
        run.close()


def test_the_mutation_corpus_headers_name_swap_checks():
    names = set(SWAP.checks)
    for path in sorted((REPO / "tests" / "mutants" / "swap").glob("p*_*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text()))
        fails = next(line for line in doc.splitlines() if line.startswith("fails:"))
        listed = [n.strip() for n in fails.split(":", 1)[1].split(",")]
        assert set(listed) <= names, path.name
        point = int(path.stem[1:path.stem.index("_")])
        assert point in SWAP.checks[listed[0]].spec, path.name

