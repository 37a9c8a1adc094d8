"""Real-browser tests: Playwright driving Debian's Chromium against a real JupyterLab.

* A student opens the clock assignment (a copy of notebooks/clock/clock.ipynb
  in a fresh workspace), writes a correct server into the answer cell, runs it
  and the self-check cell, and sees the transcript of the visible checks.
* A student's evening (issue 23), in JupyterLab started as ``make lab`` starts it
  (graders/course/lab_config.py): runs a layer notebook top to bottom, writes a buggy
  swap server (one recv(1024), no lock), self-checks and reads every failure
  (self-study: the hidden checks run too), fixes it, passes, runs the printed
  ``graders check`` command in JupyterLab's terminal, and Validates.
* An instructor opens Formgrader from JupyterLab's Nbgrader menu on a course
  (graders.course.admin, as ``make course`` makes it) where a submission was
  handed in and collected with nbgrader's own commands, and sees it.

Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``;
Playwright's own browser download is blocked here), launched with
``executable_path`` by tests/_browser.py.  One browser per module; each test starts its own
JupyterLab on a free port with a token.  A failing test saves a screenshot to
build/screenshots/TEST.png.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import os
import secrets
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api", reason="the test extra: pip install -e '.[test]'")
pytest.importorskip("jupyterlab", reason="the lab extra: pip install -e '.[lab]'")
httpx = pytest.importorskip("httpx")

from _browser import browser, needs_chromium  # noqa: E402,F401 - browser is a fixture
from graders import assignments  # noqa: E402
from graders.course import admin as course_admin  # noqa: E402
from graders.course.paths import environment  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "build" / "screenshots"
CORRECT = REPO / "examples" / "clock" / "correct.py"
SWAP_CORRECT = REPO / "examples" / "swap" / "correct.py"
# The buggy swap server: a single recv(1024) and no lock.
SWAP_BUGGY = '''"""Swap: one recv() per client, and no lock."""
import threading
from socketserver import BaseRequestHandler, ThreadingTCPServer

waiting = []


class SwapHandler(BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024)
        partner = waiting.pop() if waiting else None
        if partner is None:
            box, ready = [], threading.Event()
            waiting.append((data, box, ready))
            ready.wait()
            self.request.sendall(box[0])
        else:
            partner_data, box, ready = partner
            box.append(data)
            ready.set()
            self.request.sendall(partner_data)


class Server(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("", 12092), SwapHandler).serve_forever()
'''
LAB_CONFIG = REPO / "graders" / "course" / "lab_config.py"
# The current notebook's cells, from JupyterLab's model: code cells, how many ran, the errors shown.
NOTEBOOK_STATE = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    const cells = panel.content.model.cells;
    const state = {code: 0, ran: 0, errors: [], kernel: panel.sessionContext.session.kernel.status};
    for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (cell.type !== 'code') continue;
        state.code += 1;
        if (cell.executionCount !== null) state.ran += 1;
        for (const out of cell.outputs.toJSON()) {
            if (out.output_type === 'error' || (out.output_type === 'stream' && out.name === 'stderr'))
                state.errors.push(JSON.stringify(out).slice(0, 500));
        }
    }
    return state;
}"""
# The current panel is the notebook ``name`` and its kernel is up and idle (the status bar's "Idle"
# may still be another notebook's while the page restores its tabs).
KERNEL_READY = """(name) => {
    const panel = window.jupyterapp.shell.currentWidget;
    if (!panel || !panel.context || !panel.context.path.endsWith(name)) return false;
    const session = panel.sessionContext.session;
    return !!(session && session.kernel && session.kernel.status === 'idle');
}"""
# The source of the current notebook's first code cell that starts with ``start``.
CELL_SOURCE = """(start) => {
    const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
    for (let i = 0; i < cells.length; i++) {
        const text = cells.get(i).sharedModel.getSource();
        if (text.startsWith(start)) return text;
    }
    return null;
}"""
NOTEBOOK_RAN = f"() => {{ const s = ({NOTEBOOK_STATE})(); return s.ran === s.code && s.kernel === 'idle'; }}"
LAB_DEADLINE = 120.0  # seconds for JupyterLab to answer (a loaded 2-core machine)
UI_DEADLINE = 90_000  # milliseconds for the page to show something
CHECK_DEADLINE = 180_000  # milliseconds for the self-check's output (it starts 4 sandboxed servers)

pytestmark = [pytest.mark.slow, needs_chromium]  # .ci/run installs chromium (apt-get, as root)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def warm_browser(browser):
    """The browser with its lazily started helpers (network and storage services) running.

    Chromium starts them with the first page that loads over HTTP; started inside a test, they
    would outlive it (they end with the browser, after the module) and count as its leaks.
    """
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        context = browser.new_context()
        context.new_page().goto(f"http://127.0.0.1:{server.server_address[1]}/nothing-here")
        context.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    return browser


@pytest.fixture
def page(warm_browser, request):
    browser = warm_browser
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(UI_DEADLINE)
    try:
        yield tab
    finally:
        context.close()


@contextlib.contextmanager
def screenshot_on_failure(page, name: str):
    """Save build/screenshots/NAME.png (the whole page) when the block raises."""
    try:
        yield
    except BaseException:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        raise


@contextlib.contextmanager
def jupyterlab(command: list[str], cwd: Path, env: dict[str, str], log: Path):
    """Run JupyterLab on a free port with a token; yields (url, token); stops it at the end."""
    port, token = free_port(), secrets.token_hex(16)
    command = [*command, "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    # A pidfd for JupyterLab, the leader of its session: it tells when Lab has exited without reaping
    # it, and while it is not reaped its pid (the session's id) cannot name another process's session.
    leader = os.pidfd_open(process.pid)
    exited = lambda timeout: bool(select.select([leader], [], [], timeout)[0])  # noqa: E731
    try:
        deadline = time.monotonic() + LAB_DEADLINE
        while True:
            if exited(0):
                pytest.fail(f"JupyterLab exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/api/status", params={"token": token}, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer in {LAB_DEADLINE:.0f} s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url, token
    finally:
        # Its kernels and terminals are in its session: stop them all, then reap Lab.
        try:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            if not exited(30):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, 9)
                exited(30)
            _kill_session(process.pid)
        finally:
            os.close(leader)
            process.wait()


def _kill_session(sid: int) -> None:
    """SIGKILL what is left of the session ``sid`` and wait (10 s at most) until it is gone.

    Only while the session's leader is not reaped: then ``sid`` is still its session's id."""
    import psutil
    left = []
    for p in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):  # it may be gone already
            if os.getsid(p.pid) == sid:
                p.kill()
                left.append(p)
    psutil.wait_procs(left, timeout=10)


def test_student_runs_the_self_check_in_jupyterlab(page, tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copy(REPO / "notebooks" / "clock" / "clock.ipynb", workspace / "clock.ipynb")
    command = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={workspace}"]
    with jupyterlab(command, workspace, environment(), tmp_path / "lab.log") as (url, token), \
            screenshot_on_failure(page, "student_self_check"):
        page.goto(f"{url}/lab/tree/clock.ipynb?token={token}")
        code_cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-CodeCell")
        page.locator(".jp-NotebookPanel .jp-Notebook").wait_for()
        # The kernel is up when the status bar says Idle.
        page.locator("#jp-main-statusbar").get_by_text("Idle").wait_for()
        answer = code_cells.filter(has_text="%%writefile clock_server.py").first
        # The student replaces the answer cell's code with theirs (pasted, so the editor's
        # auto-indent leaves it as it is) and runs it, then the self-check cell.
        answer.locator(".cm-content").click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text("%%writefile clock_server.py\n" + CORRECT.read_text())
        page.keyboard.press("Shift+Enter")
        answer.locator(".jp-OutputArea-output").filter(has_text="clock_server.py").wait_for()
        assert (workspace / "clock_server.py").read_text().strip() == CORRECT.read_text().strip()
        selfcheck = code_cells.filter(has_text="selfcheck(").first
        selfcheck.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")
        output = selfcheck.locator(".jp-OutputArea")
        output.get_by_text("hidden ones included", exact=False).wait_for(timeout=CHECK_DEADLINE)
        shown = output.inner_text()
        # Self-study: every check ran, the hidden ones too; the passing transcripts are folded.
        assert "Self-study" in shown and "checks passed" in shown, shown[:2000]
        question = output.locator("svg text", has_text="What is the time?")
        assert question.count() and not question.first.is_visible()  # folded
        output.locator("details").filter(has=page.locator("svg text", has_text="What is the time?")) \
            .first.locator("summary").click()
        assert question.first.is_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "student_self_check_passed.png"))


def _write_answer(page, cell, source: str) -> None:
    """Replace a code cell's text with ``source`` (pasted: the editor's auto-indent leaves it be) and run it.

    Runs it only once the notebook's model holds the pasted text (the keys reached the editor)."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(source)
    first_line = source.split("\n", 1)[0]
    page.wait_for_function(f"() => ({CELL_SOURCE})({json.dumps(first_line)}) === {json.dumps(source)}",
                           timeout=UI_DEADLINE)
    page.keyboard.press("Shift+Enter")


def _open_notebook(page, url: str, token: str, path: str):
    """Open the notebook ``path`` and wait until it is the current panel with its kernel idle."""
    page.goto(f"{url}/lab/tree/{path}?token={token}")
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    notebook.wait_for()
    page.wait_for_function(f"() => ({KERNEL_READY})({json.dumps(path)})", timeout=CHECK_DEADLINE)
    return notebook


def _run_cell(page, cell) -> None:
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")


def test_a_students_evening(page, tmp_path):
    """A layer notebook, then the swap assignment: buggy answer, every failure shown, fix, pass, Validate."""
    workspace = tmp_path / "notebooks"
    for folder in ("01_sockets", "swap"):
        shutil.copytree(REPO / "notebooks" / folder, workspace / folder)
    command = [sys.executable, "-m", "jupyter", "lab", f"--config={LAB_CONFIG}",
               f"--ServerApp.root_dir={workspace}", "--LabApp.expose_app_in_browser=True",
               f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}"]  # no tabs restored from other runs
    with jupyterlab(command, workspace, environment(), tmp_path / "lab.log") as (url, token), \
            screenshot_on_failure(page, "student_evening"):
        # 1. A layer notebook, top to bottom (Run All): every cell runs, none fails.
        notebook = _open_notebook(page, url, token, "01_sockets/01_sockets.ipynb")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        # JupyterLab draws only the cells in view: the notebook's model says what ran (the app is
        # exposed to the page: --LabApp.expose_app_in_browser).
        page.wait_for_function(NOTEBOOK_RAN, timeout=CHECK_DEADLINE)
        state = page.evaluate(NOTEBOOK_STATE)
        assert state["code"] > 10 and state["ran"] == state["code"], state
        assert not state["errors"], state["errors"][:3]

        # 2. The swap assignment: a buggy answer (one recv(1024), no lock), then the self-check.
        notebook = _open_notebook(page, url, token, "swap/swap.ipynb")
        cells = notebook.locator(".jp-CodeCell")
        answer = cells.filter(has_text="%%writefile swap_server.py").first
        _write_answer(page, answer, "%%writefile swap_server.py\n" + SWAP_BUGGY)
        answer.locator(".jp-OutputArea-output").filter(has_text="swap_server.py").wait_for()
        selfcheck = cells.filter(has_text="selfcheck(").first
        _run_cell(page, selfcheck)
        output = selfcheck.locator(".jp-OutputArea")
        output.locator(".graders-summary").wait_for(timeout=CHECK_DEADLINE)
        shown = output.inner_text()
        # 3. Every failure, hidden checks included (self-study), each open with its diagram and hint.
        assert "Self-study" in shown, shown[:2000]
        checks = len(assignments.get("swap").checks)  # the buggy answer fails 4 scripted checks and explore
        assert f"{checks - 5} of {checks} checks pass" in shown, shown[:3000]
        for failing in ("a client that has not sent its line is nobody's partner",
                        "reads a line that arrives in pieces", "swaps long lines",
                        "pairs everyone when many lines arrive at the same moment"):
            assert failing in shown, failing
        assert "graders check swap swap_server.py" in shown
        assert output.locator("details[open] rect.failing").count() == 5  # the failures (4 scripted checks and explore), open
        assert output.locator("details:not([open])").count() >= 10  # the passing checks, folded
        assert not output.locator(".jp-OutputArea-executeResult").count()  # no stray True/False
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "student_evening_failed.png"))

        # 4. The fix: every check passes, the hidden ones included.
        _write_answer(page, answer, "%%writefile swap_server.py\n" + SWAP_CORRECT.read_text())
        answer.locator(".jp-OutputArea-output").filter(has_text="Overwriting swap_server.py").wait_for()
        _run_cell(page, selfcheck)
        swap_checks = assignments.get("swap").checks.values()
        output.get_by_text(f"All {len(swap_checks)} checks pass, the {sum(c.hidden for c in swap_checks)} "
                           "hidden ones included.").wait_for(timeout=CHECK_DEADLINE)
        page.keyboard.press("Control+s")  # Validate grades the notebook as saved
        notebook_file = workspace / "swap" / "swap.ipynb"
        deadline = time.monotonic() + UI_DEADLINE / 1000
        while "Swap: one recv()" in notebook_file.read_text() or "SwapServer" not in notebook_file.read_text():
            assert time.monotonic() < deadline, "the notebook was not saved"
            time.sleep(0.2)  # the save is a file on disk: no page event to wait on

        # 5. The command the notebook prints, in JupyterLab's terminal.
        page.locator(".lm-TabBar-addButton:visible").first.click()  # a new Launcher
        page.locator(".jp-LauncherCard:visible", has_text="Terminal").first.click()
        page.locator(".jp-Terminal .xterm-screen").last.wait_for()
        page.locator(".jp-Terminal .xterm-screen").last.click()
        # The Launcher opens it in the file browser's folder, swap/; from notebooks/ it works too.
        page.keyboard.type("graders check swap swap_server.py > check.txt 2>&1; "
                           "echo \"status $? $(command -v graders)\" >> check.txt\n")
        check = workspace / "swap" / "check.txt"
        deadline = time.monotonic() + CHECK_DEADLINE / 1000
        while "status" not in (check.read_text() if check.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.2)  # the terminal's output is drawn on a canvas: its file is read instead
        text = check.read_text()
        checks = len(assignments.get("swap").checks)
        assert f"swap: {checks} of {checks} checks passed" in text and "status 0" in text, text
        assert f"{Path(sys.executable).parent}/graders" in text, text  # this environment's, first on PATH

        # 6. Validate (nbgrader's button): every test cell runs, the hidden ones too, and all pass.
        page.goto(f"{url}/lab/tree/swap/swap.ipynb?token={token}")
        notebook.wait_for()
        page.get_by_role("button", name="Validate").first.click()
        dialog = page.locator(".jp-Dialog")
        dialog.locator("#validation-message").wait_for(timeout=CHECK_DEADLINE)
        assert "Success! Your notebook passes all the tests." in dialog.inner_text(), dialog.inner_text()
        page.screenshot(path=str(SCREENSHOTS / "student_evening_validated.png"))


def _hand_in_and_collect(course, tmp_path: Path, student: str) -> None:
    """The nbgrader round up to collect: release, the student's fetch and submit, collect."""
    course_admin.run_nbgrader(course, "generate_assignment", "clock", "--force", timeout=300)
    course_admin.run_nbgrader(course, "release_assignment", "clock", "--force", timeout=120)
    home = tmp_path / student
    home.mkdir()
    # nbgrader names a submission after the login; --student names it here (one Unix user).
    env = dict(environment(), JUPYTER_CONFIG_PATH=str(course.student_config))
    for step in (["fetch_assignment", "clock"], ["submit", "clock", f"--student={student}"]):
        if step[0] == "submit":
            notebook = home / "clock" / "clock.ipynb"
            nb = json.loads(notebook.read_text())
            answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
            answer["source"] = "%%writefile clock_server.py\n" + CORRECT.read_text()
            notebook.write_text(json.dumps(nb))
        subprocess.run([sys.executable, "-m", "nbgrader", *step], cwd=home, env=env, check=True,
                       capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    from nbgrader.api import Gradebook  # the student's name, as `nbgrader db student add` writes it
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}", course_admin.COURSE_ID) as gradebook:
        gradebook.update_or_create_student(student, first_name="Alice", last_name="Liddell")
    course_admin.run_nbgrader(course, "collect", "clock", timeout=120)
    assert (course.root / "submitted" / student / "clock" / "clock.ipynb").is_file()


def test_instructor_sees_the_collected_submission_in_formgrader(page, tmp_path):
    course = course_admin.init(tmp_path / "course")
    command, env, cwd = course_admin.lab_command(course)
    # The nbgrader round runs while JupyterLab starts (Formgrader reads the course when asked).
    with ThreadPoolExecutor(1) as pool:
        handed_in = pool.submit(_hand_in_and_collect, course, tmp_path, "alice")
        with jupyterlab(command, cwd, env, tmp_path / "lab.log") as (url, token):
            handed_in.result()
            with screenshot_on_failure(page, "instructor_formgrader"):
                _formgrader_shows_the_submission(page, url, token)


def _formgrader_shows_the_submission(page, url: str, token: str) -> None:
    """Nbgrader → Formgrader → clock's submissions: alice's, collected, waiting to be autograded."""
    page.goto(f"{url}/lab?token={token}")
    page.get_by_role("menuitem", name="Nbgrader").click()
    page.get_by_role("menuitem", name="Formgrader", exact=True).click()
    formgrader = page.frame_locator("iframe").first
    # Manage Assignments: clock, released, with its submission.
    row = formgrader.locator("tr", has_text="clock").first
    row.wait_for()
    formgrader.get_by_role("link", name="clock").first.wait_for()
    # Manage Submissions: alice's collected submission, waiting to be autograded.
    row.locator("td a[href*='manage_submissions/clock']").first.click()
    formgrader.get_by_text("alice", exact=False).first.wait_for()
    listing = formgrader.locator("body").inner_text()
    assert "Liddell, Alice" in listing and "needs autograding" in listing.lower(), listing[:2000]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "instructor_formgrader.png"))
