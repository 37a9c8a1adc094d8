"""Why a submission could not be graded, in words an instructor can act on.

* :func:`precheck` (and :func:`precheck_bytes`): why a submitted notebook
  cannot be graded at all (empty file, not JSON, cut short, not a notebook,
  an unknown notebook format, larger than :data:`MAX_NOTEBOOK_BYTES`), or None.
  A notebook that is merely large because of its outputs is graded: nbgrader's
  ``ClearOutput`` discards outputs (``graders.grading.repair`` notes how many MB).
* :func:`arrange`: a submission folder as it should be graded: a lone notebook
  handed in under another name is graded under the assignment's name, other
  notebooks are left out (nbgrader skips them), each with a note.
* :func:`explain` (an exception), :func:`explain_log` (nbgrader's log of a
  failed ``autograde``) and :func:`explain_result` (a failed
  ``graders.grading.worker.Result``): the student, the notebook and cell, what was
  wrong, what was done, and what to do.  Never only an exception's class name.

The batch calls :func:`arrange` and :func:`precheck_bytes` before grading a
submission, and :func:`explain_result` when a grading failed.
"""
from __future__ import annotations

import json
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 100 * 1000 * 1000  # larger notebooks are refused (reading one costs ~10x its size in memory)
NOTEBOOK_FORMATS = (3, 4)  # nbformat major versions nbformat.read(as_version=4) converts


# -- notebooks that cannot be read ------------------------------------------------------------

def precheck(path: Path, *, max_bytes: int = MAX_NOTEBOOK_BYTES) -> str | None:
    """Why the notebook file at ``path`` cannot be graded at all, or None when it can.

    The reason is a sentence naming the file (what is wrong and what to ask
    the student for).  ``max_bytes``: the largest file read (bytes).
    """
    path = Path(path)
    if not path.is_file():
        return f"{path.name} was not handed in (no such file: {path})"
    size = path.stat().st_size
    if size > max_bytes:
        return _too_big(path.name, size, max_bytes)
    return precheck_bytes(path.read_bytes(), path.name, max_bytes=max_bytes)


def _too_big(name: str, size: int, max_bytes: int) -> str:
    return (f"{name} is {size / 1e6:.0f} MB, more than the {max_bytes / 1e6:.0f} MB the grader reads; "
            "it is almost certainly cell outputs: ask the student to clear them (Kernel > Restart Kernel "
            "and Clear All Outputs), save and hand it in again")


def precheck_bytes(data: bytes, name: str = "the notebook", *, max_bytes: int = MAX_NOTEBOOK_BYTES) -> str | None:
    """Why a notebook file with contents ``data`` (named ``name``) cannot be graded, or None."""
    import nbformat
    if len(data) > max_bytes:
        return _too_big(name, len(data), max_bytes)
    if not data.strip():
        return (f"{name} is empty ({len(data)} bytes): nothing was saved in it. Ask the student to save the "
                "notebook in Jupyter and hand it in again")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"{name} is not a notebook: it is not UTF-8 text (byte {exc.start}); was another kind of "
                "file handed in under this name?")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        if not text.rstrip().endswith("}"):
            return (f"{name} is not valid JSON: it was cut short ({len(data)} bytes, ending inside line "
                    f"{text.count(chr(10)) + 1}), as when a save or an upload is interrupted. Ask the "
                    "student for the whole file (Jupyter keeps a checkpoint in .ipynb_checkpoints/)")
        return (f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): it was edited "
                "outside Jupyter or damaged. Ask the student to open it in Jupyter, save it and hand it in again")
    if not isinstance(raw, dict) or "cells" not in raw and "worksheets" not in raw:
        return f"{name} is JSON but not a Jupyter notebook (it has no cells)"
    version = raw.get("nbformat")
    if version not in NOTEBOOK_FORMATS:
        return (f"{name} says it is written in notebook format {version!r}, which the grader (nbformat "
                f"{nbformat.__version__}) cannot read; Jupyter writes format 4. Ask the student to hand in "
                "the notebook as Jupyter saved it")
    try:
        nbformat.reads(text, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds; each is a reason
        return f"{name} cannot be read as a notebook: {type(exc).__name__}: {exc}"
    return None


# -- the submission folder --------------------------------------------------------------------

@dataclass
class Arranged:
    """A submission folder as it should be graded."""

    files: dict[str, bytes]  # relative path -> bytes (a misnamed notebook renamed)
    notes: list[str] = field(default_factory=list)  # what was done, for the instructor and the student
    problem: str | None = None  # why nothing can be graded (then ``files`` is the submission unchanged)


def arrange(files: dict[str, bytes], notebooks: list[str]) -> Arranged:
    """``files`` (a submission folder: relative path -> bytes) as it should be graded.

    ``notebooks``: the assignment's notebook names, e.g. ``["clock"]``.  A
    missing notebook with exactly one other notebook in the folder is that
    notebook, renamed; other notebooks are not graded.  Each expected notebook
    is prechecked (:func:`precheck_bytes`): the first problem is returned.
    """
    files = dict(files)
    wanted = [f"{name}.ipynb" for name in notebooks]
    found = sorted(k for k in files if k.endswith(".ipynb") and "/" not in k)
    others = [k for k in found if k not in wanted]
    missing = [w for w in wanted if w not in files]
    notes: list[str] = []
    if len(missing) == 1 and len(others) == 1:
        files[missing[0]] = files.pop(others[0])
        notes.append(f"the notebook was handed in as {others[0]!r}; it was graded as {missing[0]}")
        missing, others = [], []
    for name in missing:
        notes.append(f"{name} was not handed in" + (f" (the folder has {', '.join(map(repr, others))}: "
                                                     f"rename the one to grade to {name} and regrade)"
                                                     if others else "") + ": it gets 0 points")
    for name in others:
        notes.append(f"{name} is not part of the assignment and was not graded (only "
                     f"{' and '.join(wanted)} {'is' if len(wanted) == 1 else 'are'})")
    for name in wanted:
        if name in files:
            reason = precheck_bytes(files[name], name)
            if reason:
                return Arranged(files, notes, reason)
    return Arranged(files, notes)


# -- why a grading failed ---------------------------------------------------------------------

@dataclass
class _Failure:
    kind: str  # the exception's class name
    message: str
    where: str = ""  # file:line in function, of the innermost frame
    cell: str = ""  # "cell N (grade_id)" when known
    log_hints: list[str] = field(default_factory=list)  # nbgrader's and our warnings about cells


def explain(exc: BaseException, *, student: str, assignment: str, notebook: Path | None = None) -> str:
    """The instructor-readable reason why grading ``student``'s ``assignment`` failed with ``exc``.

    ``notebook``: the submitted notebook (or its folder), re-read to say what
    is wrong with it when it cannot be read.  Returns one paragraph: the
    student and notebook, the cell when known, what was wrong, what was done
    (nothing was graded) and what to do.
    """
    root = exc
    seen = set()
    while root.__cause__ is not None and id(root) not in seen:  # an explicit `raise ... from`
        seen.add(id(root))
        root = root.__cause__
    frames = traceback.extract_tb(root.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    failure = _Failure(type(root).__name__, _message(root), where, _cell_from_frames(root))
    return _describe(failure, student=student, assignment=assignment, notebook=notebook)


def explain_log(log: str, *, student: str, assignment: str, notebook: Path | None = None) -> str:
    """Like :func:`explain`, from the text of nbgrader's log (and traceback) of a failed grading."""
    failure = _failure_from_log(log, student)
    return _describe(failure, student=student, assignment=assignment, notebook=notebook)


def explain_result(result, root: Path) -> str:
    """Like :func:`explain_log`, for a failed ``graders.grading.worker.Result`` of the course in ``root``."""
    folder = Path(root) / "submitted" / result.student / result.assignment
    return explain_log(f"{result.log}\n{result.error}", student=result.student, assignment=result.assignment,
                       notebook=folder)


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return repr(exc.args[0])
    return str(exc)


def _cell_from_frames(exc: BaseException) -> str:
    """The notebook cell a preprocessor was working on when ``exc`` was raised, if any."""
    tb = exc.__traceback__
    found = ""
    while tb is not None:
        local = tb.tb_frame.f_locals
        index = local.get("cell_index", local.get("index"))
        cell = local.get("cell")
        if isinstance(index, int) and isinstance(cell, dict):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            gid = meta.get("grade_id") if isinstance(meta, dict) else None
            found = f"cell {index + 1}" + (f" ({gid})" if gid else "")
        tb = tb.tb_next
    return found


EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")
LOG_RECORD = re.compile(r"^\[(?:\w+ \| )?(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\]|^\[\w+App \| ")
HINTS = (re.compile(r"Cell with id '([^']+)' exists multiple times"),
         re.compile(r"Cell '([^']+)' does not exist in the database"),
         re.compile(r"graders: (.*)"),
         re.compile(r"Skipping unknown notebook: (.*)"))


def _failure_from_log(log: str, student: str) -> _Failure:
    lines = log.splitlines()
    # a log of several students: keep the part about this one
    starts = [i for i, line in enumerate(lines) if "Sanitizing" in line or "Creating/updating student" in line]
    mine = [i for i in starts if f"/{student}/" in lines[i] or f"'{student}'" in lines[i]]
    if mine and len(mine) < len(starts):
        begin = mine[0]
        after = [i for i in starts if i > begin and i not in mine]
        lines = lines[begin: after[0] if after else len(lines)]
    hints = []
    for line in lines:
        for pattern in HINTS:
            match = pattern.search(line)
            if match and match.group(0) not in hints:
                hints.append(match.group(0))
    blocks = []
    for i, line in enumerate(lines):
        if "Traceback (most recent call last):" in line:
            end = next((j for j in range(i + 1, len(lines)) if LOG_RECORD.match(lines[j])), len(lines))
            blocks.append(lines[i + 1:end])
    for block in reversed(blocks):
        exc_lines = [b for b in block if b and not b[0].isspace() and EXCEPTION_LINE.match(b)
                     and not b.startswith(("During handling", "The above exception", "Traceback"))]
        if not exc_lines:
            continue
        match = EXCEPTION_LINE.match(exc_lines[-1])
        kind, message = match.group(1).rsplit(".", 1)[-1], (match.group(2) or "").strip()
        if "Please see the" in message:
            continue  # nbgrader's summary; the cause is an earlier traceback
        frames = [b.strip() for b in block if b.strip().startswith("File ")]
        where = ""
        if frames:
            m = re.match(r'File "([^"]+)", line (\d+), in (.*)', frames[-1])
            if m:
                where = f"{Path(m.group(1)).name}:{m.group(2)} in {m.group(3)}"
        return _Failure(kind, message, where, "", hints)
    errors = [line for line in lines if "ERROR" in line and "Please see the" not in line
              and "There was an error processing" not in line]
    text = errors[-1].split("]", 1)[-1].strip() if errors else (lines[-1].strip() if lines else "")
    return _Failure("", text or "nbgrader failed without a message", "", "", hints)


def _submitted(notebook: Path | None, assignment: str) -> tuple[list[Path], str | None]:
    """The notebooks at ``notebook`` (a file or a folder) and the first precheck problem."""
    if notebook is None:
        return [], None
    notebook = Path(notebook)
    paths = sorted(notebook.glob("*.ipynb")) if notebook.is_dir() else [notebook]
    expected = [p for p in paths if p.name == f"{assignment}.ipynb"] or paths
    for path in expected:
        reason = precheck(path)
        if reason:
            return paths, reason
    return paths, None


def _describe(f: _Failure, *, student: str, assignment: str, notebook: Path | None) -> str:
    who = f"{student}'s {assignment}"
    paths, unreadable = _submitted(notebook, assignment)
    nothing = "Nothing was graded"
    command = f"python -m graders autograde {assignment} --student {student}"
    regrade = f"then regrade with `{command}`"
    if unreadable:
        return f"{who}: {unreadable}. {nothing}; once the file is replaced, regrade with `{command}`."
    cell = f", {f.cell}" if f.cell else ""
    hints = "; ".join(f.log_hints)
    seen = f" (nbgrader's log: {hints})" if hints else ""
    kind, message = f.kind, f.message
    low = message.lower()
    if kind == "KeyError" and "grade_id" in message:
        what = (f"a cell{cell} carries nbgrader metadata without a grade_id (a duplicated or hand-edited cell)"
                f"{seen}, which nbgrader's OverwriteCells cannot handle (jupyter/nbgrader#1083)")
        todo = ("check that nbgrader_config.py lists graders.grading.repair.RepairCells and graders.grading.repair.OverwriteCells "
                f"in Autograde.sanitize_preprocessors, {regrade}")
    elif "no notebooks found" in low:
        names = ", ".join(repr(p.name) for p in paths) or "no notebook at all"
        what = f"there is no {assignment}.ipynb in submitted/{student}/{assignment}/ (it has {names})"
        todo = f"rename the notebook to grade to {assignment}.ipynb, {regrade}"
    elif kind in ("NotJSONError", "JSONDecodeError"):
        what = f"the notebook is not valid JSON ({message})"
        todo = f"ask the student for the notebook as Jupyter saved it, {regrade}"
    elif kind == "ValidationError" or "failed to validate" in low:
        what = f"the notebook's nbgrader metadata is invalid{cell}{seen}: {message}"
        todo = (f"open submitted/{student}/{assignment}/ in Jupyter, look at the cells named there (Edit "
                f"Metadata), {regrade}")
    elif "old version of the nbgrader metadata" in low or kind == "SchemaTooOldError":
        what = (f"nbgrader found cells with old or broken nbgrader metadata{seen} (a duplicated cell gives the "
                "same message, jupyter/nbgrader#1083)")
        todo = f"check the cells named there, {regrade}"
    elif kind == "MissingEntry":
        what = f"the gradebook has no entry that the grading needs: {message}"
        todo = f"run `nbgrader generate_assignment {assignment}` on this course, {regrade}"
    elif "database is locked" in low or (kind == "OperationalError" and "database" in low):
        what = f"gradebook.db could not be written: {message} (another program holds it)"
        todo = f"close the other program (formgrader, a second batch), {regrade}"
    elif "inconsistent checksums" in low:
        what = f"a read-only cell could not be restored from the gradebook{cell}: {message}"
        todo = f"regenerate the assignment if solutions/ changed after release, {regrade}"
    elif kind in ("DeadKernelError",):
        what = f"the notebook's kernel died{cell}: {message}"
        todo = f"look at the student's cells that run before it, {regrade}"
    elif kind in ("CellTimeoutError", "TimeoutError", "TimeoutExpired"):
        what = f"the grading did not finish in time{cell}: {message}"
        todo = f"look for a cell that runs forever, {regrade}"
    elif kind == "MemoryError":
        what = f"the grading ran out of memory{cell}"
        todo = f"look for huge outputs or data in the notebook, {regrade}"
    else:
        raised = f", raised in {f.where}" if f.where else ""
        label = f"{kind}: {message}" if kind else message
        what = f"the grading failed{cell} with {label}{raised}{seen}"
        todo = f"see the grading's log, fix the cause, {regrade}"
    return f"{who}: {what}. {nothing}; {todo}."
