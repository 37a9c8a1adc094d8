"""Sequence diagrams of the checks' transcripts, drawn and shown in a real browser.

The browser (tests/_browser.py) is Debian's chromium, headless, with
JavaScript off and only local files allowed; a failing test saves a
screenshot under build/screenshots/.  The class report and the nbgrader
feedback pages are tested in a browser in tests/test_autograde.py, on its
graded course.

``GRADERS_SCREENSHOTS=docs/img`` (``make screenshots``) also writes the
README's pictures there: diagram.png (a swap check's failure) here and
report.png (the class report) in tests/test_autograde.py.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graders.checking.checks import CheckResult, Report
from graders.checking.diagram import page, svg

from _browser import README_SHOTS, browser, needs_chromium, opened  # noqa: F401 - browser is a fixture

REPO = Path(__file__).resolve().parent.parent


def grade_to_html(assignment: str, server: Path, check: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "graders", "check", assignment, str(server), "--only", check,
                           "--html", str(out)], cwd=REPO, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_every_kind_of_step_is_drawn():
    steps = [("server", "started: python s.py", "server", None, None),
             ("A", "connected to port 1", "connect", None, None),
             ("A", "sends 'hi\\n' (3 bytes)", "send", 3, "'hi\\n'"),
             ("B", "could not connect (timed out)", "connect_failed", None, None),
             ("A", "waited 0.4 s: nothing came", "wait", None, None),
             ("A", "receives 'yo' (2 bytes)", "receive", 2, "'yo'"),
             ("A", "aborts the connection (reset)", "abort", None, None),
             ("C", "connection reset by the server (Connection reset by peer)", "reset", None, None),
             ("C", "sees the server close the connection", "peer_closed", None, None),
             ("C", "reads HTTP/1.1 200 OK", "note", None, None),
             ("C", "closes the connection", "close", None, None)]
    events = [{"seconds": i / 10, "who": w, "what": t, "kind": k, "size": n, "preview": p}
              for i, (w, t, k, n, p) in enumerate(steps)]
    from graders.checking.checks import Failure, failed_step
    result = CheckResult("x", "does x", "fail", rationale="client A got the wrong thing", events=events,
                         failed_step=failed_step(events, Failure("client A got the wrong thing")))
    drawn = svg(result)
    for label in ("client A", "client B", "client C", "server", "'hi\\n' (3 B)", "&#x27;yo&#x27; (2 B)",
                  "could not connect", "waited 0.4 s: nothing came", "hangs up (RST)",
                  "server reset the connection (RST)", "server closed the connection (FIN)", "closes (FIN)",
                  "reads HTTP/1.1 200 OK", "started: python s.py", "client A got the wrong thing"):
        assert label.replace("'", "&#x27;") in drawn, label
    # the rationale names client A: its last step is the one highlighted, not the last step (C's)
    assert drawn.count("class='failing'") == 1
    assert "A: aborts the connection" in drawn.split("class='failing'")[1][:300]
    assert "<script" not in drawn and "href" not in drawn


@needs_chromium
def test_a_failed_check_is_drawn_with_its_failing_step(browser, tmp_path):
    out = tmp_path / "clock.html"
    done = grade_to_html("clock", REPO / "examples" / "clock" / "wrong_answer.py", "answers_question", out)
    assert done.returncode == 1, done.stderr
    assert ":( answers the question with the current time" in done.stdout  # the text stays for the terminal
    with opened(browser, out, "diagram") as (tab, remote):
        diagram = tab.locator(".graders-fail svg.graders-sequence")
        assert diagram.is_visible()
        failing = diagram.locator("rect.failing")
        assert failing.count() == 1 and failing.is_visible()
        assert "A: receives 'The time is" in failing.locator("title").text_content()
        rationale = diagram.locator("text.rationale")
        assert rationale.is_visible() and "did not get a time.ctime() text" in rationale.text_content()
        assert diagram.get_by_text("client A", exact=True).is_visible()
        assert diagram.get_by_text("'What is the time?        ' (25 B)").is_visible()  # spaces kept
        box, row = diagram.bounding_box(), failing.bounding_box()
        assert box["y"] < row["y"] and row["y"] + row["height"] <= box["y"] + box["height"] + 1
        assert remote == []


@needs_chromium
@pytest.mark.skipif(not README_SHOTS, reason="GRADERS_SCREENSHOTS=DIR writes the README's pictures")
def test_readme_picture_of_a_diagram(browser, tmp_path):
    out = tmp_path / "swap.html"
    done = grade_to_html("swap", REPO / "examples" / "swap" / "iterative.py", "swaps", out)
    assert done.returncode == 1, done.stderr
    with opened(browser, out, "readme-diagram") as (tab, _):
        result = tab.locator(".graders-result.graders-fail").first
        assert result.locator("rect.failing").is_visible()
        Path(README_SHOTS).mkdir(parents=True, exist_ok=True)
        result.screenshot(path=str(Path(README_SHOTS) / "diagram.png"))


def test_old_json_without_events_still_loads():
    report = Report("clock", "x.py", "namespaces", [CheckResult("starts", "starts", "pass")])
    text = report.to_json().replace('"events": [],', "").replace('"failed_step": null,', "")
    assert '"events"' not in text
    loaded = Report.from_json(text)
    assert loaded.results[0].events == [] and "starts" in page(loaded)


def test_class_report_lists_failed_gradings_with_their_reasons(tmp_path):
    from graders.reports.class_report import write_report
    for student in ("alice", "bob"):
        (tmp_path / "submitted" / student / "clock").mkdir(parents=True)
    (tmp_path / ".graders").mkdir()
    (tmp_path / ".graders" / "clock.json").write_text(json.dumps({  # as graders.grading.batch records them
        "bob": {"student": "bob", "status": "failed", "reason": "nbgrader did not finish within 900 s",
                "seconds": 900.0}}))
    page_text = write_report(tmp_path, ["clock"]).read_text()
    failed = page_text.split("Failed gradings and notes")[1]
    assert "bob" in failed and "FAILED" in failed and "nbgrader did not finish within 900 s" in failed
    assert "alice" in failed and "not graded" in failed.lower()
    rows = (tmp_path / "check_results.csv").read_text().splitlines()
    assert rows[0] == "student,assignment,check,status,seconds"
    assert "bob,clock,starts,not graded," in rows and "alice,clock,starts,not graded," in rows
