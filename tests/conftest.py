"""Shared test fixtures.

Every test is checked for leaks: the processes it started (descendants of the
pytest process) and the TCP sockets left listening by any process started
after the session began must be gone when the test ends.  Clean-up is awaited
with a deadline, never with a fixed sleep.
"""
from __future__ import annotations

import os
import time
import uuid

import psutil
import pytest

ME = psutil.Process()
# Inherited by every process this test session starts (even daemons that leave
# the process tree), so leaks are found without blaming strangers' processes.
SESSION = os.environ.setdefault("WORKBOOK_TEST_SESSION", uuid.uuid4().hex)
LEAK_DEADLINE = 10.0  # seconds a test's processes get to disappear after it ends


def _descendants() -> set[psutil.Process]:
    """This session's processes, but for long-lived helpers: the sandboxes' zygotes (one per start-up
    environment, stopped at exit: graders.sandbox.Zygote) and the batch's forkserver (its workers
    are forked from it); what they fork is counted.  A ``psutil.Process`` is its pid and its start
    time (psutil hashes and compares both): a pid that the kernel gave again is another process."""
    from multiprocessing import forkserver

    from graders.sandbox import Zygote
    helpers = Zygote.pids() | {getattr(forkserver._forkserver, "_forkserver_pid", None)}  # graders.grading.batch's
    try:
        found = ME.children(recursive=True)
    except psutil.Error:
        return set()
    return {p for p in found if p.pid not in helpers and not _a_zygote(p)}


def _a_zygote(proc: psutil.Process) -> bool:
    """A zygote of one of our processes (a batch or Dask worker that a fixture keeps): it exits when
    its owner does.  (What a zygote forks shows the same command line, but its parent is a zygote.)"""
    try:
        return "_zygote.py" in " ".join(proc.cmdline()) and "_zygote.py" not in " ".join(proc.parent().cmdline())
    except (psutil.Error, AttributeError):
        return False


def _alive(proc: psutil.Process) -> bool:
    """The process exists (the same one: psutil checks its start time) and is no zombie (one that
    exits while we look is not alive)."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _the_modules_browser(proc: psutil.Process, before: set[psutil.Process]) -> bool:
    """A helper process of a chromium that was running before the test (tests/_browser.py's
    module-scoped browser): chromium starts its utility processes when a page first needs them
    (storage, network), and they end with the browser, when the module's fixture closes it."""
    try:
        if "--type=" not in " ".join(proc.cmdline()):
            return False
        return any(parent in before and "chromium" in parent.name() and "--type=" not in " ".join(parent.cmdline())
                   for parent in proc.parents())
    except psutil.Error:
        return False


def _ours(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        return psutil.Process(pid).environ().get("WORKBOOK_TEST_SESSION") == SESSION
    except psutil.Error:
        return False


def _listeners() -> set[tuple[int, str, int]]:
    """Listening TCP sockets of processes this test session started."""
    found = set()
    try:
        conns = psutil.net_connections(kind="tcp")
    except psutil.Error:
        return found
    for c in conns:
        if c.status == psutil.CONN_LISTEN and c.pid != os.getpid() and _ours(c.pid):
            found.add((c.pid, c.laddr.ip, c.laddr.port))
    return found


def wait_until(predicate, timeout: float, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


@pytest.fixture(autouse=True)
def no_leaks(request):
    """Fail a test that leaves a process or a listening socket behind."""
    before_procs = _descendants()
    before_listen = _listeners()
    yield
    if request.node.get_closest_marker("allow_leaks"):
        return
    leaked_procs: set[psutil.Process] = set()
    leaked_listen: set = set()

    def clean() -> bool:
        nonlocal leaked_procs, leaked_listen
        leaked_procs = {
            proc for proc in _descendants() - before_procs
            if _alive(proc) and not _the_modules_browser(proc, before_procs)
        }
        leaked_listen = _listeners() - before_listen
        return not leaked_procs and not leaked_listen

    if not wait_until(clean, LEAK_DEADLINE, 0.02):
        details = []
        for proc in leaked_procs:
            try:
                details.append(f"process {proc.pid}: {' '.join(proc.cmdline())}")
            except psutil.Error:
                pass
        details += [f"listening socket {host}:{port} (pid {pid})" for pid, host, port in leaked_listen]
        pytest.fail("test leaked:\n  " + "\n  ".join(details), pytrace=False)


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_leaks: the test is about a leak and cleans up itself")
