"""Find a student's answer in a notebook, without running the notebook.

An assignment's answer cell is an nbgrader autograded answer cell whose first
line is ``%%writefile FILE`` (FILE is the assignment's answer file, e.g.
``clock_server.py``).  The answer is the rest of that cell's source: what
``%%writefile`` would have written.  Cells the student added do not count, so
nothing done elsewhere in the notebook (or in its kernel) changes the answer.

An answer cell that lost its ``%%writefile FILE`` line is still the answer:
:func:`find_answer` takes it (and says so), and :func:`restore_writefile`
puts the line back (``graders.grading.repair.RepairCells`` does, before the kernel
runs the notebook: without the line, the cell runs the server in the kernel).
"""
from __future__ import annotations

import re
from pathlib import Path

WRITEFILE = re.compile(r"^%%writefile(?:\s+-a|\s+--append)?\s+(\S+)\s*$")


class AnswerNotFound(Exception):
    """The notebook has no answer cell for the file (deleted, or wrong notebook)."""


def writefile_line(source: str) -> str | None:
    """The FILE of a cell source whose first non-blank line is ``%%writefile [-a] FILE``, else None."""
    for line in source.split("\n"):
        if line.strip():
            match = WRITEFILE.match(line.strip())
            return match.group(1) if match else None
    return None


def restore_writefile(source: str, filename: str) -> tuple[str, str | None]:
    """``source`` with ``%%writefile filename`` as its first line, and what was wrong (None: nothing).

    What was wrong is a phrase for a student, e.g. "did not start with
    `%%writefile clock_server.py`".  A ``%%writefile`` line elsewhere in the
    cell (moved down, or naming another file) is removed.
    """
    lines = source.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None:
        match = WRITEFILE.match(lines[first].strip())
        if match and match.group(1) == filename:
            return source, None
        if match:
            what = f"started with `{lines[first].strip()}` instead of `%%writefile {filename}`"
            return "\n".join([f"%%writefile {filename}", *lines[first + 1:]]), what
    moved = [i for i, line in enumerate(lines) if WRITEFILE.match(line.strip())]
    if moved:
        what = f"had its `%%writefile` line on line {moved[0] + 1} instead of the first line"
        lines = [line for i, line in enumerate(lines) if i not in moved]
    else:
        what = f"did not start with `%%writefile {filename}`"
    return "\n".join([f"%%writefile {filename}", *lines]), what


def _answer_cells(nb):
    for index, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and isinstance(meta, dict) and meta.get("solution"):
            yield index, cell


def find_answer(nb, filename: str) -> tuple[str, str | None]:
    """The source the answer cell(s) ``%%writefile filename`` write, and a note (None when all is well).

    Only cells marked as nbgrader answer cells (``solution: true``) count; of
    several, they are taken in order (``-a`` appends, as ``%%writefile -a``
    does; otherwise the last one wins).  When no answer cell starts with the
    line but exactly one answer cell starts with no ``%%writefile`` at all, that
    cell is the answer, and the note says so.  Raises :class:`AnswerNotFound`
    when there is none.
    """
    text: str | None = None
    for _index, cell in _answer_cells(nb):
        if writefile_line(cell.source) != filename:
            continue
        lines = cell.source.split("\n")
        at = next(i for i, line in enumerate(lines) if line.strip())
        rest = "\n".join(lines[at + 1:])
        append = " -a" in lines[at] or "--append" in lines[at]
        text = (text or "") + rest if append else rest
    note = None
    if text is None:
        bare = [(i, c) for i, c in _answer_cells(nb) if writefile_line(c.source) is None and c.source.strip()]
        if len(bare) != 1:
            raise AnswerNotFound(f"no answer cell starting with %%writefile {filename}")
        index, cell = bare[0]
        text = cell.source
        note = (f"the answer cell (cell {index + 1}) does not start with `%%writefile {filename}`; "
                f"its source was graded as {filename}. Put the line back as its first line")
    return (text if text.endswith("\n") else text + "\n"), note


def answer_source(nb, filename: str) -> str:
    """The source written by the answer cell(s) ``%%writefile filename`` (see :func:`find_answer`).

    Raises :class:`AnswerNotFound` when there is none.
    """
    return find_answer(nb, filename)[0]


def extract(notebook: Path, filename: str, directory: Path, notes: list[str] | None = None) -> Path:
    """Write the answer of ``notebook`` to ``directory/filename``; return that path.

    A note on how the answer was found (see :func:`find_answer`) is appended
    to ``notes``.  Raises :class:`AnswerNotFound`.
    """
    import nbformat
    nb = nbformat.read(str(notebook), as_version=4)
    target = Path(directory) / filename
    source, note = find_answer(nb, filename)
    target.write_text(source, encoding="utf-8")
    if note and notes is not None:
        notes.append(note)
    return target
