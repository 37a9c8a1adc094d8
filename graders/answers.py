"""Find a student's answer in a notebook, without running the notebook.

An assignment's answer cell is an nbgrader autograded answer cell whose first
line is ``%%writefile FILE`` (FILE is the assignment's answer file, e.g.
``clock_server.py``).  The answer is the rest of that cell's source: what
``%%writefile`` would have written.  Cells the student added do not count, so
nothing done elsewhere in the notebook (or in its kernel) changes the answer.
"""
from __future__ import annotations

import re
from pathlib import Path

WRITEFILE = re.compile(r"^%%writefile(?:\s+-a|\s+--append)?\s+(\S+)\s*$")


class AnswerNotFound(Exception):
    """The notebook has no answer cell for the file (deleted, or wrong notebook)."""


def answer_source(nb, filename: str) -> str:
    """The source written by the answer cell(s) ``%%writefile filename``.

    Only cells marked as nbgrader answer cells (``solution: true``) count.
    Raises :class:`AnswerNotFound` when there is none.
    """
    text: str | None = None
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            continue
        first, _, rest = cell.source.partition("\n")
        match = WRITEFILE.match(first.strip())
        if match and match.group(1) == filename:
            append = " -a" in first or "--append" in first
            text = (text or "") + rest if append else rest
    if text is None:
        raise AnswerNotFound(f"no answer cell starting with %%writefile {filename}")
    return text if text.endswith("\n") else text + "\n"


def extract(notebook: Path, filename: str, directory: Path) -> Path:
    """Write the answer of ``notebook`` to ``directory/filename``; return that path."""
    import nbformat
    nb = nbformat.read(str(notebook), as_version=4)
    target = Path(directory) / filename
    target.write_text(answer_source(nb, filename), encoding="utf-8")
    return target
