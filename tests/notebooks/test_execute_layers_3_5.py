"""Execute the layer 3, 4 and 5 notebooks top to bottom in a real kernel.

The instructor version (solutions/: every exercise solved, every self-check
says "Well done") and the released student version (notebooks/: exercises
stubbed, the self-checks say "not written yet" instead of failing) run with
the notebook's folder as working directory, without an error output, without
a DeprecationWarning (made visible in the kernel and in every server it
starts), and leave no process and no listening socket behind (also enforced by
the autouse fixture of tests/conftest.py).
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
NOTEBOOKS = ["03_processes", "04_http", "05_beyond"]


def _text(output) -> str:
    if output.output_type == "stream":
        return output.text
    if output.output_type == "error":
        return "\n".join(output.traceback)
    return str(output.get("data", {}).get("text/plain", ""))


def _execute(path: Path, monkeypatch) -> nbformat.NotebookNode:
    monkeypatch.setenv("PYTHONWARNINGS", "default::DeprecationWarning")
    pythonpath = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(REPO) + (os.pathsep + pythonpath if pythonpath else ""))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def _left_running() -> list[str]:
    """Processes started by the kernel (servers, clients, scripts) that are still alive."""
    found = []
    for proc in psutil.Process().children(recursive=True):
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            cmd = " ".join(proc.cmdline())
        except psutil.Error:
            continue
        if "servers." in cmd or "http.server" in cmd or "greet.py" in cmd:
            found.append(cmd)
    return found


def _problems(nb: nbformat.NotebookNode) -> list[str]:
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


def _all_text(nb) -> str:
    return "\n".join(_text(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_solution_notebook_runs_clean(name, monkeypatch):
    nb = _execute(REPO / "solutions" / name / f"{name}.ipynb", monkeypatch)
    assert _problems(nb) == []
    texts = _all_text(nb)
    assert "Well done" in texts
    assert "not written yet" not in texts.lower()
    assert wait_until(lambda: not _left_running(), 10), _left_running()


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_released_notebook_runs_clean_with_stubs(name, monkeypatch):
    path = REPO / "notebooks" / name / f"{name}.ipynb"
    released = nbformat.read(path, as_version=4)
    sources = "\n".join(c.source for c in released.cells)
    assert "### BEGIN SOLUTION" not in sources and "raise NotImplementedError()" in sources
    nb = _execute(path, monkeypatch)
    assert _problems(nb) == []
    assert "not written yet" in _all_text(nb).lower()
    assert wait_until(lambda: not _left_running(), 10), _left_running()


def test_layer5_plot_and_benchmark_come_from_a_real_run():
    nb = nbformat.read(REPO / "solutions" / "05_beyond" / "05_beyond.ipynb", as_version=4)
    sources = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "concurrency.measure(" in sources and "savefig(" in sources


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebooks_have_no_outputs(name):
    for folder in ("solutions", "notebooks"):
        nb = nbformat.read(REPO / folder / name / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (folder, cell.source[:60])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_never_serve_or_fork_in_the_kernel(name):
    nb = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            for banned in ("serve_forever(", "os.fork(", ".handle_request(", "import cgi",
                           "import asyncore", "CGIHTTPRequestHandler("):
                assert banned not in cell.source, (banned, cell.source[:80])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_exercises_are_ungraded_solution_cells(name):
    nb = nbformat.read(REPO / "solutions" / name / f"{name}.ipynb", as_version=4)
    exercises = [c for c in nb.cells if "nbgrader" in c.metadata]
    assert exercises, "every layer notebook has at least one exercise"
    for cell in exercises:
        meta = cell.metadata["nbgrader"]
        assert meta["solution"] is True and meta["grade"] is False and meta.get("points") is None
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
    released = nbformat.read(REPO / "notebooks" / name / f"{name}.ipynb", as_version=4)
    assert len([c for c in released.cells if c.cell_type == "code"]) == \
        len([c for c in nb.cells if c.cell_type == "code"])
