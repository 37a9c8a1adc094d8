"""The clock notebook in a real Jupyter kernel: self-check and test cells.

The solutions notebook (reference answer) must pass every test cell in the
kernel; the released notebook (stub answer) must fail them with a student-
facing message on stdout and no stderr output.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def execute(notebook: Path, workdir: Path) -> nbformat.NotebookNode:
    shutil.copy(notebook, workdir / notebook.name)
    nb = nbformat.read(str(workdir / notebook.name), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    return nb


def text_of(output) -> str:
    """What an output shows as text: a stream's text, or a display's text/plain."""
    return output.get("text", "") or output.get("data", {}).get("text/plain", "")


def test_solution_notebook_passes_in_a_real_kernel(tmp_path):
    nb = execute(REPO / "solutions" / "clock" / "clock.ipynb", tmp_path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error" or o.get("name") == "stderr"]
    assert not errors, errors
    text = "".join(text_of(o) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # Self-study (a clone): every check ran, the hidden ones too, and the notebook says so.
    assert "Self-study (a clone of the repository): every check runs here" in text
    assert "checks pass, the" in text and "hidden ones included." in text
    diagrams = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                       for o in c.outputs)
    assert "<svg" in diagrams and "client A" in diagrams  # the transcripts drawn as sequence diagrams
    assert "What is the time?" in diagrams
    assert "<details open" not in diagrams  # every check passed: every transcript folded
    selfcheck = next(c for c in nb.cells if "selfcheck(" in c.source)
    assert not [o for o in selfcheck.outputs if o.output_type == "execute_result"]  # no stray True


def test_released_stub_fails_with_a_message_for_the_student(tmp_path):
    nb = execute(REPO / "notebooks" / "clock" / "clock.ipynb", tmp_path)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_starts"]
    outputs = tests[0].outputs
    assert not [o for o in outputs if o.get("name") == "stderr"]
    error = next(o for o in outputs if o.output_type == "error")
    assert error.ename == "CheckFailed"
    assert "stopped" in error.evalue
    printed = "".join(text_of(o) for o in outputs)
    assert "NotImplementedError" in printed
    assert "class='failing'" in "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    # One verdict: the diagram above, then the explanation alone: no traceback through graders/.
    assert "graders/grading/notebook.py" not in "\n".join(error.traceback) and len(error.traceback) == 1
