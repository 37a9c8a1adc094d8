"""Feedback you can see, in a real browser: sequence diagrams and the class report.

Playwright drives Debian's chromium (/usr/bin/chromium), headless, with
JavaScript off (the pages must not need it) and every request that is not a
local file refused (no asset may come from the internet).  One browser serves
the module; each test has its own context.  A failing test saves a screenshot
under build/screenshots/.

``GRADERS_SCREENSHOTS=docs/img`` (``make screenshots``) also writes the
README's pictures there: diagram.png (a swap check's failure) and report.png
(the class report).
"""
from __future__ import annotations

import contextlib
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graders.checks import CheckResult, Report
from graders.diagram import page, svg

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "build" / "screenshots"
README_SHOTS = os.environ.get("GRADERS_SCREENSHOTS")

playwright_api = pytest.importorskip("playwright.sync_api")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def opened(browser, path: Path, name: str):
    """A page showing the file ``path`` (JavaScript off, only file: URLs); a screenshot if the block fails."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 800})
    remote: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    tab = context.new_page()
    try:
        tab.goto(path.resolve().as_uri())
        yield tab, remote
    except BaseException:
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        raise
    finally:
        context.close()


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
    result = CheckResult("x", "does x", "fail", rationale="client A got the wrong thing", events=events,
                         failed_step=len(events) - 1)
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


# -- the class report, on a small real course -----------------------------------------

STUDENTS = ("correct", "wrong_answer", "crashes_at_start")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A clock course of three sample submissions, autograded and given feedback by nbgrader."""
    from graders.course import nbgrader
    root = tmp_path_factory.mktemp("course")
    for student in STUDENTS:
        shutil.copytree(REPO / "examples" / "submissions" / student / "clock", root / "submitted" / student / "clock")
    nbgrader("generate_assignment", "clock", "--force", root=root, release=root / "release", timeout=300)
    nbgrader("autograde", "clock", root=root, timeout=600)
    nbgrader("generate_feedback", "clock", "--force", root=root, timeout=300)
    return root


@pytest.mark.slow
@needs_chromium
def test_class_report_counts_each_check_and_draws_a_chart(browser, course):
    from graders.report import write_report
    out = write_report(course, ["clock"])
    assert out == course / "report.html"
    with open(course / "check_results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"student", "assignment", "check", "status", "seconds"}
    status = {(r["student"], r["check"]): r["status"] for r in rows}
    assert status[("correct", "answers_question")] == "pass"
    assert status[("wrong_answer", "answers_question")] == "fail"
    assert status[("wrong_answer", "uses_port")] == "pass"
    assert status[("crashes_at_start", "starts")] == "fail"
    assert all(float(r["seconds"]) > 0 for r in rows if r["status"] in ("pass", "fail"))
    with opened(browser, out, "report") as (tab, remote):
        row = tab.locator("tr.check[data-check='answers_question']")
        assert row.is_visible()
        assert row.locator("td.passed").text_content().startswith("1 of 3")
        assert "did not get a time.ctime() text" in row.text_content()  # the reason it failed
        assert tab.locator("tr.check[data-check='starts'] td.passed").text_content().startswith("2 of 3")
        chart = tab.locator("section#clock svg").first
        assert chart.is_visible() and chart.bounding_box()["height"] > 100
        assert remote == []
        if README_SHOTS:
            Path(README_SHOTS).mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(Path(README_SHOTS) / "report.png"), full_page=True)


@pytest.mark.slow
@needs_chromium
def test_feedback_page_shows_the_diagram_without_javascript(browser, course):
    page_path = course / "feedback" / "wrong_answer" / "clock" / "clock.html"
    with opened(browser, page_path, "feedback") as (tab, _remote):
        # the page's own MathJax <script> from a CDN is refused: the diagram must not need it
        failing = tab.locator("svg.graders-sequence rect.failing")
        assert failing.count() >= 1
        failing.first.scroll_into_view_if_needed()
        assert failing.first.is_visible()
        assert tab.locator("svg.graders-sequence text.rationale").first.text_content().endswith(
            "did not get a time.ctime() text")
