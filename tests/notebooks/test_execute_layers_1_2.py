"""Execute the layer 1 and layer 2 notebooks top to bottom in a real kernel.

Both the instructor version (solutions/, exercises solved: every self-check
must pass) and the released student version (notebooks/, exercises stubbed:
the self-checks must say "not written yet" instead of failing) run without an
error output and without a DeprecationWarning, and leave no server process and
no listening socket behind (also enforced by the autouse fixture of
tests/conftest.py).
"""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
import psutil
import pytest
from conftest import wait_until
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]
CELL_TIMEOUT = 120  # seconds per cell
NOTEBOOKS = ["01_sockets", "02_socketserver"]


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join(output.traceback)
    return str(output.get("data", {}).get("text/plain", ""))


def _execute(path: Path, monkeypatch) -> nbformat.NotebookNode:
    # Make deprecation warnings visible in the kernel and in the servers it starts.
    monkeypatch.setenv("PYTHONWARNINGS", "default::DeprecationWarning")
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(REPO) + (os.pathsep + pythonpath if pythonpath else ""))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _server_processes() -> list[str]:
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            cmd = proc.cmdline()
        except psutil.Error:
            continue
        if any(part.startswith("servers.") for part in cmd):
            found.append(" ".join(cmd))
    return found


def _check(nb: nbformat.NotebookNode) -> list[str]:
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            text = _text(output)
            if output.output_type == "error":
                problems.append(f"cell {index}: {output.ename}: {output.evalue}")
            if "DeprecationWarning" in text:
                problems.append(f"cell {index}: DeprecationWarning: {text[:300]}")
            if output.output_type == "stream" and output.name == "stderr" and "Traceback" in text:
                problems.append(f"cell {index}: traceback on stderr: {text[:300]}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_runs_clean(name, monkeypatch):
    nb = _execute(REPO / "solutions" / name / f"{name}.ipynb", monkeypatch)
    assert _check(nb) == []
    texts = "\n".join(_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Well done" in texts
    assert "not written yet" not in texts  # every exercise is solved in solutions/
    assert wait_until(lambda: not _server_processes(), 10), _server_processes()


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_released_notebook_runs_clean_with_stubs(name, monkeypatch):
    path = REPO / "notebooks" / name / f"{name}.ipynb"
    released = nbformat.read(path, as_version=4)
    sources = "\n".join(c.source for c in released.cells)
    assert "### BEGIN SOLUTION" not in sources and "raise NotImplementedError()" in sources
    nb = _execute(path, monkeypatch)
    assert _check(nb) == []
    texts = "\n".join(_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "not written yet" in texts
    assert wait_until(lambda: not _server_processes(), 10), _server_processes()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebooks_have_no_outputs(name):
    for folder in ("solutions", "notebooks"):
        nb = nbformat.read(REPO / folder / name / f"{name}.ipynb", as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (folder, cell.source[:60])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_never_serve_or_fork_in_the_kernel(name):
    nb = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for banned in ("serve_forever(", "os.fork(", "SocketServer", ".handle_request("):
                assert banned not in cell.source, (banned, cell.source[:80])


def _kernel_with_a_server():
    """A real kernel that started servers.echo_socket; return (manager, client, kernel pid, port, server pid)."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", cwd=str(REPO / "solutions" / "01_sockets"))
    out: list = []
    code = ("import sys, os; sys.path.insert(0, %r)\n"
            "from servers.notebook import start\n"
            "s = start('echo_socket')\n"
            "print(os.getpid(), s.port, s.pid)") % str(REPO)
    reply = kc.execute_interactive(code, timeout=60, output_hook=lambda msg: out.append(msg))
    assert reply["content"]["status"] == "ok"
    text = "".join(m["content"].get("text", "") for m in out)
    kernel_pid, port, server_pid = map(int, text.split())
    return km, kc, kernel_pid, port, server_pid



def _listening(port: int) -> bool:
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
               for c in psutil.net_connections(kind="tcp"))


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL to the kernel only", "shutdown_kernel(now=True)"])
def test_a_killed_kernel_leaves_nothing_listening(how):
    km, kc, kernel_pid, port, server_pid = _kernel_with_a_server()
    try:
        assert _listening(port) and not _gone(server_pid)
        if how.startswith("SIGKILL"):
            os.kill(kernel_pid, 9)  # no atexit, no clean-up in the kernel: the watchdog acts
        else:
            km.shutdown_kernel(now=True)  # what Jupyter does: kill the kernel's process group
        assert wait_until(lambda: _gone(server_pid), 10), "the server outlived its kernel"
        assert wait_until(lambda: not _listening(port), 10)
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)
        else:
            km.cleanup_resources()
