"""The course round on the hub, clicked in Chromium as the instructor and a student click it.

The hub of tests/test_hub.py (real Unix users, PAM log-in, each JupyterLab as
its user), driven with Playwright and Debian's chromium (tests/_browser.py):

* the instructor logs in; *Nbgrader → Formgrader* shows inside JupyterLab (the
  frame policy lets Lab frame its own pages) and lists the four assignments;
  an assignment's link moves Lab's file browser to ``source/clock``; on its
  own page Formgrader's links lead to Lab's pages under ``/user/NAME/``;
  *Generate* and *Release*;
* the student logs in; *Nbgrader → Assignment List*: *Fetch*; the notebook:
  the answer typed in, saved, *Validate*; *Submit*;
* the instructor: *Collect*, the submission's *autograde* button (the batch,
  as root, through the course's autograde service): 10 / 10; *Generate
  Feedback*, *Release Feedback*;
* the student: *Fetch Feedback*, "(view feedback)": the feedback page opens
  in Lab, with its diagrams and the transcripts' text folded.

A failing phase saves both people's screens to build/screenshots/hub_*.png.
Needs root (creates Unix users, spawns servers as them) and chromium.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the test extra: pip install -e '.[test]'")
pytest.importorskip("jupyterhub", reason="the hub extra: pip install -e '.[hub]'")

from _browser import SHOTS, browser, needs_chromium  # noqa: E402,F401 - browser is a fixture
from test_browser import warm_browser  # noqa: E402,F401 - a fixture
from test_hub import course_dir, running_hub, users  # noqa: E402,F401 - fixtures

REPO = Path(__file__).resolve().parent.parent
CORRECT = REPO / "examples" / "clock" / "correct.py"
UI_DEADLINE = 90_000  # milliseconds for a page to show something on a loaded 2-core machine
GRADE_DEADLINE = 600_000  # milliseconds for Validate or the autograde button (servers in sandboxes)

pytestmark = [
    pytest.mark.slow, pytest.mark.timeout(900), needs_chromium,
    pytest.mark.skipif(os.geteuid() != 0, reason="creates Unix users and spawns servers as them: needs root"),
    pytest.mark.skipif(sys.platform != "linux", reason="local system users: Linux"),
]


def log_in(browser, hub, user):
    """A browser context of its own, logged in through the hub's form; returns the page at the user's Lab."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(UI_DEADLINE)
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", user.name)
    page.fill("#password_input", user.password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{user.name}/lab**", timeout=2 * UI_DEADLINE)
    page.locator("#jp-main-statusbar").wait_for()
    return page


@contextlib.contextmanager
def phase(name: str, *pages):
    """A step of the round; when it fails, every page's screen is kept (build/screenshots/hub_NAME_N.png)."""
    began = time.monotonic()
    try:
        yield
    except BaseException:
        SHOTS.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(pages):
            with contextlib.suppress(Exception):
                page.screenshot(path=str(SHOTS / f"hub_{name}_{i}.png"))
        raise
    finally:
        print(f"{name}: {time.monotonic() - began:.1f} s")


def open_menu(page, item: str) -> None:
    page.get_by_role("menuitem", name="Nbgrader").click()
    page.get_by_role("menuitem", name=item, exact=True).click()


def close_modal(formgrader) -> str:
    """Formgrader's result dialog: its text, then closed."""
    dialog = formgrader.locator(".modal-dialog")
    dialog.wait_for(timeout=GRADE_DEADLINE)
    text = dialog.locator(".modal-body").inner_text()
    dialog.get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")
    return text


def test_the_round_clicked_in_chromium_on_the_hub(running_hub, warm_browser):
    hub, course, teacher, student = running_hub
    teach = log_in(warm_browser, hub, teacher)
    learn = log_in(warm_browser, hub, student)
    try:
        with phase("formgrader_in_lab", teach):
            open_menu(teach, "Formgrader")
            formgrader = teach.frame_locator("iframe").first
            formgrader.locator("tr", has_text="clock").first.wait_for()
            names = [a.inner_text() for a in formgrader.locator("tbody tr td:first-child a").all()]
            assert names == ["clock", "secret_number", "secret_word", "swap"], names
            row = formgrader.locator("tr", has_text="clock").first
            row.get_by_role("link", name="clock").click()  # Lab's file browser goes there
            teach.locator(".jp-FileBrowser-crumbs", has_text="clock").wait_for()
            teach.locator(".jp-DirListing-content").get_by_text("clock.ipynb").wait_for()
            row.locator(".glyphicon-education").click()  # Generate
            assert "Successfully created the student version" in close_modal(formgrader)
            row.locator(".glyphicon-cloud-upload").click()  # Release
            assert "Successfully released" in close_modal(formgrader)
            row.locator(".label", has_text="released").wait_for()

        with phase("formgrader_links", teach):
            alone = teach.context.new_page()
            alone.goto(f"{hub.url}/user/{teacher.name}/formgrader")
            row = alone.locator("tr", has_text="clock").first
            row.wait_for()
            hrefs = [a.get_attribute("href") for a in row.locator("a[href^='/']").all()]
            assert f"/user/{teacher.name}/lab/tree/source/clock" in hrefs, hrefs
            assert f"/user/{teacher.name}/lab/tree/release/clock" in hrefs, hrefs  # Preview
            for href in hrefs:
                if "/lab/tree/" in href:
                    response = alone.goto(f"{hub.url}{href}")
                    assert response.ok, (href, response.status)
                    alone.locator(".jp-FileBrowser-crumbs", has_text=href.rsplit("/", 1)[1]).wait_for()
            alone.close()

        with phase("student_fetches_validates_submits", learn):
            open_menu(learn, "Assignment List")
            learn.locator("#released_assignments_list").get_by_role("button", name="Fetch").click()
            fetched = learn.locator("#fetched_assignments_list")
            fetched.get_by_text("clock").first.wait_for()
            learn.goto(f"{hub.url}/user/{student.name}/lab/tree/clock/clock.ipynb")
            learn.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
            answer = learn.locator(".jp-NotebookPanel .jp-CodeCell").filter(
                has_text="%%writefile clock_server.py").first
            answer.locator(".cm-content").click()
            learn.keyboard.press("Control+A")
            learn.keyboard.insert_text("%%writefile clock_server.py\n" + CORRECT.read_text())
            learn.keyboard.press("Control+S")
            # saved (no "File Changed" race with Validate's own save): the tab is clean again
            learn.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").wait_for(state="detached")
            learn.locator(".jp-NotebookPanel-toolbar").get_by_role("button", name="Validate").click()
            dialog = learn.locator(".jp-Dialog")
            # In a course Validate never says "Success!": the hidden checks did not run (issue 23).
            dialog.get_by_text("Not run here", exact=False).wait_for(timeout=GRADE_DEADLINE)
            dialog.get_by_role("button", name="Ok").click()
            open_menu(learn, "Assignment List")
            learn.locator("#fetched_assignments_list").get_by_role("button", name="Submit").click()
            learn.locator("#submitted_assignments_list").get_by_text("clock").first.wait_for()

        with phase("instructor_collects_autogrades_gives_feedback", teach):
            formgrader = teach.frame_locator("iframe").first  # still on Manage Assignments
            row = formgrader.locator("tr", has_text="clock").first
            row.locator(".glyphicon-cloud-download").click()  # Collect
            assert "Successfully collected" in close_modal(formgrader)
            row.locator("td a[href*='manage_submissions/clock']").first.click()
            submission = formgrader.locator("tr", has_text=student.name).first
            submission.get_by_text("needs autograding").wait_for()
            submission.locator(".autograde a").click()  # the batch, as root, through the service
            assert "Successfully autograded" in close_modal(formgrader)
            formgrader.locator("tr", has_text=student.name).first.get_by_text("10 / 10").wait_for()
            formgrader.get_by_role("link", name="Manage Assignments").first.click()
            row = formgrader.locator("tr", has_text="clock").first
            row.locator(".glyphicon-comment").wait_for()  # the page has changed
            row.locator(".glyphicon-comment").click()  # Generate Feedback
            assert "Successfully generated feedback" in close_modal(formgrader)
            row.locator(".glyphicon-envelope").click()  # Release Feedback
            assert "Successfully released feedback" in close_modal(formgrader)
        graded = course.root / "autograded" / student.name / "clock" / "clock.ipynb"
        assert graded.stat().st_uid == teacher.uid  # the service gave it back to the instructor

        with phase("student_views_feedback", learn):
            open_menu(learn, "Assignment List")
            submitted = learn.locator("#submitted_assignments_list")
            submitted.get_by_role("button", name="Fetch Feedback").click()
            submitted.get_by_text("(view feedback)").click()
            learn.locator(".lm-TabBar-tab.lm-mod-current", has_text="clock.html").wait_for()
            page = learn.frame_locator(".jp-MainAreaWidget:not(.lm-mod-hidden) iframe").last
            page.get_by_text("Score: 10.0 / 10.0", exact=False).first.wait_for()
            page.locator("svg.graders-sequence").first.wait_for(state="attached")
            from graders import assignments
            checks = len(assignments.get("clock").checks)  # every check's diagram (explore's too)
            assert page.locator("svg.graders-sequence").count() == checks
            # each test cell's transcripts as text, folded under its diagrams: one cell fewer than
            # checks (explore is graded in the cell of several_clients, its text with that cell's)
            assert page.locator("details.graders-transcript-text").count() == checks - 1
    finally:
        teach.context.close()
        learn.context.close()
