"""Put a mangled submission back in the shape nbgrader grades, and say what was done.

In a class of hundreds, someone always duplicates a cell, pastes a test, edits
nbgrader's metadata or deletes the ``%%writefile`` line of the answer cell.
nbgrader 0.9.6 handles some of this (``DeduplicateIds`` keeps the last copy
of a duplicated cell; ``OverwriteCells`` restores locked cells, points and
cell types from the gradebook, and with ``add_missing_cells`` re-adds deleted
test cells) but the pieces do not fit together: a duplicated cell, or a cell
with a ``grade_id`` the gradebook does not know, makes ``OverwriteCells``
raise ``KeyError: 'grade_id'`` (jupyter/nbgrader#1083, open; the re-adding of
#1682 came with PR #1770), and the instructor sees only that.

Two sanitizing preprocessors, configured in ``nbgrader_config.py``:

:class:`RepairCells`
    runs first (before ``ClearOutput`` and ``DeduplicateIds``) and, with the
    instructor's cells from the gradebook, applies these rules:

    * a cell whose ``grade_id`` appears more than once: the **last** copy keeps
      its nbgrader metadata, the others become ordinary cells (nbgrader's own
      rule, jupyter/nbgrader#108: "remove the nbgrader metadata from all except
      the last instance").  Of a duplicated answer cell, the last copy is the
      answer; a duplicated test cell counts once;
    * a cell with nbgrader metadata the gradebook does not know (a forged grade
      cell, a renamed id, a missing id) becomes an ordinary cell: it earns
      nothing.  Except the answer cell: a code cell whose first line is the
      answer's ``%%writefile FILE``, when the real answer cell is absent, gets
      the answer's ``grade_id`` back (its id was renamed or its metadata lost);
    * a known cell gets its nbgrader flags (grade, solution, task, points) from
      the gradebook; ``OverwriteCells`` then restores the rest;
    * the answer cell must start with ``%%writefile FILE``: if it does not, the
      line is put back, so that the kernel saves the server instead of running
      it (which blocked the kernel until the cell timeout), and the checks grade
      the cell's source as FILE (:mod:`graders.checking.answers`);
    * a notebook's ``metadata.graders`` (the autograder's record) is never
      taken from the student: it is replaced.

    Every change is described, for the student and the instructor, in
    ``metadata.graders.notes`` (a list of strings):
    :class:`graders.grading.plugins.TrustedChecks` shows them at the top of the
    autograded notebook (so in the feedback), and the batch prints them.
:class:`OverwriteCells`
    nbgrader's, with ``add_missing_cells`` made robust: a cell whose nbgrader
    metadata has no ``grade_id`` is not a ``KeyError``, and a deleted test cell
    is put back after the nearest earlier instructor's cell that is present
    (nbgrader 0.9.6 assumes the one right before it is).
"""
from __future__ import annotations

import json
from collections import defaultdict

from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.preprocessors import OverwriteCells as NbgraderOverwriteCells

from graders.checking import answers

OUTPUT_NOTE_BYTES = 1 << 20  # outputs above this size (bytes) are mentioned when they are discarded


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    if not isinstance(meta, dict):
        return None
    gid = meta.get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _is_nbgrader_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader")
    if not isinstance(meta, dict):
        return "nbgrader" in cell.get("metadata", {})
    return any(meta.get(flag) for flag in ("grade", "solution", "locked", "task")) or "grade_id" in meta


def _strip(cell) -> None:
    cell.metadata.pop("nbgrader", None)
    # nbgrader's read-only flags too: the cell is the student's now
    cell.metadata.pop("deletable", None)
    cell.metadata.pop("editable", None)


def _output_bytes(nb) -> int:
    total = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []) or []:
            try:
                total += len(json.dumps(output, ensure_ascii=False))
            except (TypeError, ValueError):
                continue
    return total


def _cells(numbers: list[int]) -> str:
    return "cells " + ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


class RepairCells(NbGraderPreprocessor):
    """Sanitize a submission's cells against the gradebook (see the module docstring)."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                source_nb = gb.find_notebook(info["notebook"], info["assignment"])
            except MissingEntry:
                return nb, resources  # nbgrader reports an unknown notebook itself
            self.source = {c.name: c for c in source_nb.source_cells}
            self.order = [c.name for c in source_nb.source_cells]
            self.points = {c.name: float(c.max_score) for c in source_nb.grade_cells}
            self.solutions = {c.name for c in source_nb.solution_cells}
            self.tasks = {c.name for c in source_nb.task_cells}
        self.answer_files = {}
        for name in sorted(self.solutions):
            match = answers.writefile_line(self.source[name].source)
            if match:
                self.answer_files[name] = match
        notes: list[str] = []
        outputs = _output_bytes(nb)
        if outputs > OUTPUT_NOTE_BYTES:
            notes.append(f"the notebook carried {outputs / 1e6:.1f} MB of cell outputs; outputs never count "
                         "and they were discarded before grading (clear them before handing in: "
                         "Kernel > Restart Kernel and Clear All Outputs)")
        self._duplicates(nb, notes)
        self._unknown(nb, notes)
        self._flags(nb, notes)
        self._missing(nb, notes)
        self._writefile(nb, notes)
        nb.metadata["graders"] = {"notes": notes} if notes else {}
        if notes:
            self.log.warning("graders: %s", "; ".join(notes))
        return nb, resources

    # -- the rules ---------------------------------------------------------------

    def _duplicates(self, nb, notes: list[str]) -> None:
        where: dict[str, list[int]] = defaultdict(list)
        for index, cell in enumerate(nb.cells):
            gid = _grade_id(cell)
            if gid is not None and gid in self.source and _is_nbgrader_cell(cell):
                where[gid].append(index)
        for gid, indexes in where.items():
            if len(indexes) < 2:
                continue
            for index in indexes[:-1]:
                _strip(nb.cells[index])
            numbers = [i + 1 for i in indexes]
            if gid in self.solutions and gid in self.answer_files:
                notes.append(f"the answer cell ({gid}) appears {len(indexes)} times ({_cells(numbers)}): "
                             f"the last one, cell {numbers[-1]}, is the answer and was graded (nbgrader keeps "
                             "the last copy); the others ran as ordinary cells. Delete the copies you do not "
                             "want graded")
            elif gid in self.points:
                notes.append(f"the test cell {gid} appears {len(indexes)} times ({_cells(numbers)}): "
                             "it counts once")
            elif gid in self.solutions:
                notes.append(f"the answer cell {gid} appears {len(indexes)} times ({_cells(numbers)}): "
                             f"the last one, cell {numbers[-1]}, was kept as the answer")
            else:
                notes.append(f"the read-only cell {gid} appears {len(indexes)} times ({_cells(numbers)}): "
                             "one copy was kept")

    def _unknown(self, nb, notes: list[str]) -> None:
        present = {_grade_id(c) for c in nb.cells if _is_nbgrader_cell(c)}
        adopt: dict[str, int] = {}
        for name, filename in self.answer_files.items():
            if name in present:
                continue
            for index in reversed(range(len(nb.cells))):
                cell = nb.cells[index]
                gid = _grade_id(cell)
                if cell.cell_type == "code" and (gid is None or gid not in self.source) \
                        and answers.writefile_line(cell.source) == filename and index not in adopt.values():
                    adopt[name] = index
                    break
        for name, index in adopt.items():
            cell = nb.cells[index]
            old = _grade_id(cell)
            cell.metadata["nbgrader"] = {"grade": name in self.points, "grade_id": name, "locked": False,
                                         "schema_version": 3, "solution": True, "task": False}
            if name in self.points:
                cell.metadata["nbgrader"]["points"] = self.points[name]
            what = f"its nbgrader id had been changed to {old!r}" if old else "it had lost its nbgrader metadata"
            notes.append(f"cell {index + 1} is the answer cell ({name}) but {what}: it was recognised by its "
                         f"%%writefile {self.answer_files[name]} line and graded as the answer")
        for index, cell in enumerate(nb.cells):
            if index in adopt.values() or not _is_nbgrader_cell(cell):
                continue
            gid = _grade_id(cell)
            if gid is not None and gid in self.source:
                continue
            meta = cell.metadata.get("nbgrader")
            meta = meta if isinstance(meta, dict) else {}
            label = f"nbgrader id {gid!r}" if gid else "no nbgrader id"
            if meta.get("grade"):
                points = meta.get("points", 0)
                notes.append(f"cell {index + 1} carries nbgrader grading metadata ({label}, {points} points) "
                             "that is not part of the assignment: it was treated as an ordinary cell and "
                             "earns nothing")
            else:
                notes.append(f"cell {index + 1} carries nbgrader metadata ({label}) that is not part of the "
                             "assignment: it was treated as an ordinary cell")
            _strip(cell)

    def _flags(self, nb, notes: list[str]) -> None:
        for index, cell in enumerate(nb.cells):
            gid = _grade_id(cell)
            if gid is None or gid not in self.source:
                continue
            meta = cell.metadata["nbgrader"]
            want = {"grade": gid in self.points, "solution": gid in self.solutions, "task": gid in self.tasks}
            changed = [flag for flag, value in want.items() if bool(meta.get(flag)) != value]
            meta.update(want)
            meta.setdefault("locked", bool(self.source[gid].locked))
            meta.setdefault("schema_version", 3)
            if gid in self.points:
                meta["points"] = self.points[gid]
            else:
                meta.pop("points", None)
            if changed:
                notes.append(f"cell {index + 1} ({gid}) had its nbgrader settings changed "
                             f"({', '.join(changed)}); the instructor's were restored")
            if cell.cell_type != self.source[gid].cell_type:
                notes.append(f"cell {index + 1} ({gid}) had been turned into a {cell.cell_type} cell; it is a "
                             f"{self.source[gid].cell_type} cell again")

    def _missing(self, nb, notes: list[str]) -> None:
        present = {_grade_id(c) for c in nb.cells}
        if not present & set(self.source):
            notes.append(f"none of the assignment's cells are in this notebook ({len(nb.cells)} cells): was "
                         "the right notebook handed in? The test cells were put back and graded against it")
            return
        for name in self.order:
            if name in present:
                continue
            if name in self.points and name not in self.solutions:
                notes.append(f"the test cell {name} was missing; the instructor's copy was put back")
            elif name in self.answer_files:
                notes.append(f"the answer cell ({name}, starting %%writefile {self.answer_files[name]}) is "
                             "missing from the notebook: there is no answer to grade")

    def _writefile(self, nb, notes: list[str]) -> None:
        for index, cell in enumerate(nb.cells):
            name = _grade_id(cell)
            if name not in self.answer_files or cell.cell_type != "code":
                continue
            filename = self.answer_files[name]
            source, what = answers.restore_writefile(cell.source, filename)
            if what is None:
                continue
            cell.source = source
            notes.append(f"your answer cell (cell {index + 1}) {what}, so running it would not have saved "
                         f"your server to {filename} (a server started inside the notebook blocks it). "
                         f"The grader put `%%writefile {filename}` back as its first line and graded the "
                         f"cell as {filename}. Keep that line first in the answer cell")


class OverwriteCells(NbgraderOverwriteCells):
    """nbgrader's OverwriteCells with a robust ``add_missing_cells`` (see the module docstring).

    nbgrader 0.9.6 reads ``metadata.nbgrader["grade_id"]`` of every cell that
    has nbgrader metadata, but its own ``DeduplicateIds`` leaves duplicated cells
    with ``nbgrader: {}`` and ``preprocess_cell`` deletes the ``grade_id`` of a
    cell the gradebook does not know: ``KeyError: 'grade_id'``
    (jupyter/nbgrader#1083).  And it puts a deleted test cell after the cell
    right before it in the instructor's notebook, which must then be present
    (``KeyError`` when the student deleted that one too).
    """

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in source_nb.source_cells]
        sources = {cell.name: cell for cell in source_nb.source_cells}
        solutions = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            present = {_grade_id(cell): index for index, cell in enumerate(nb.cells) if _grade_id(cell)}
            if grade_cell.name in present:
                continue
            self.log.warning(f"Missing grade cell {grade_cell.name} encountered, adding to notebook")
            cell = self.missing_cell_transform(sources[grade_cell.name], grade_cell.max_score,
                                               is_solution=grade_cell.name in solutions)
            at = 0
            for earlier in reversed(order[:order.index(grade_cell.name)]):
                if earlier in present:
                    at = present[earlier] + 1
                    break
            nb.cells.insert(at, cell)
        return nb, resources

    def add_missing_task_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        sources = {cell.name: cell for cell in source_nb.source_cells}
        submitted = {_grade_id(cell) for cell in nb.cells}
        for task_cell in source_nb.task_cells:
            if task_cell.name not in submitted:
                nb.cells.append(self.missing_cell_transform(sources[task_cell.name], task_cell.max_score,
                                                            is_task=True))
        return nb, resources
