"""The corpus of mangled notebooks: each case is a sample submission and what the student did to it.

Built with nbformat from ``examples/submissions/{correct,wrong_answer}/clock`` (nothing large is
committed).  Every case says what a fair instructor would give (``grade``: the grade of the
untouched ``correct`` or ``wrong_answer`` submission, or ``"zero"``, or ``"unreadable"``: it
cannot be graded and the batch must say why) and words the notes must contain.

    python tests/mangled/build.py DIR     # write every case as DIR/CASE/clock/*.ipynb, to look at
"""
from __future__ import annotations

import copy
import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "examples" / "submissions"
ASSIGNMENT = "clock"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
WRONG_SERVER = (REPO / "examples" / "clock" / "wrong_answer.py").read_text()
CORRECT_SERVER = (REPO / "examples" / "clock" / "correct.py").read_text()


def source_gradebook(url: str) -> None:
    """Save the clock assignment's cells into the gradebook at ``url``, as ``nbgrader
    generate_assignment`` does.  nbgrader runs ``alembic`` to create a gradebook: it must be on PATH."""
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import ClearSolutions, ComputeChecksums, SaveCells

    with Gradebook(url) as gb:
        gb.update_or_create_assignment(ASSIGNMENT)
    nb = nbformat.read(str(REPO / "solutions" / ASSIGNMENT / NOTEBOOK), as_version=4)
    resources = {"nbgrader": {"db_url": url, "assignment": ASSIGNMENT, "notebook": "clock", "student": "s"}}
    for step in (ClearSolutions(code_stub={"python": "# YOUR CODE HERE\nraise NotImplementedError()"}),
                 ComputeChecksums(), SaveCells()):
        nb, _ = step.preprocess(nb, resources)


def load(base: str) -> nbformat.NotebookNode:
    return nbformat.read(str(SAMPLES / base / ASSIGNMENT / NOTEBOOK), as_version=4)


def index_of(nb, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def copy_cell(cell):
    """A copy as Jupyter pastes it: same metadata (nbgrader's too), a new cell id."""
    new = copy.deepcopy(cell)
    new["id"] = uuid.uuid4().hex[:8]
    return new


def code_cell(source: str, **nbgrader) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False,
                                     "task": False, **nbgrader}
    return cell


def dump(nb) -> bytes:
    return nbformat.writes(nb).encode()


# -- what the students did --------------------------------------------------------------------

def delete_test(nb):
    del nb.cells[index_of(nb, "test_starts")]
    return nb


def tamper(nb):
    """Gut a test cell, overwrite the server file from a later cell, patch graders.grading.notebook.check."""
    nb.cells[index_of(nb, "test_answers_question")].source = "pass  # nothing to see here"
    nb.cells.append(code_cell("%%writefile clock_server.py\n" + CORRECT_SERVER))
    nb.cells.append(code_cell("import graders.notebook\ngraders.notebook.check = lambda *a, **k: print('ok')"))
    return nb


def duplicate_answer(nb):
    at = index_of(nb, "clock_server")
    nb.cells.insert(at + 1, copy_cell(nb.cells[at]))
    return nb


def duplicate_answer_variant(nb):
    """The copy (the last one) is a variant being tried: a wrong server."""
    at = index_of(nb, "clock_server")
    variant = copy_cell(nb.cells[at])
    variant.source = "%%writefile clock_server.py\n" + WRONG_SERVER
    nb.cells.insert(at + 1, variant)
    return nb


def duplicate_test(nb):
    at = index_of(nb, "test_answers_question")
    nb.cells.insert(at + 1, copy_cell(nb.cells[at]))
    return nb


def forge_grade_cell(nb):
    nb.cells.append(code_cell("print('extra credit, please')", grade=True, grade_id="extra_credit", points=100,
                              locked=True))
    return nb


def drop_writefile(nb):
    cell = nb.cells[index_of(nb, "clock_server")]
    cell.source = cell.source.split("\n", 1)[1]
    return nb


def reorder(nb):
    """Tests first (in reverse order), then everything else; the answer cell last."""
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    answer = nb.cells[index_of(nb, "clock_server")]
    others = [c for c in nb.cells if c not in tests and c is not answer]
    nb.cells = tests[::-1] + others + [answer]
    return nb


def markdown_to_code(nb):
    """The spec (a read-only markdown cell) and the answer's heading turned into code cells."""
    for i in (index_of(nb, "spec"), index_of(nb, "clock_server") - 1):
        old = nb.cells[i]
        new = nbformat.v4.new_code_cell(old.source)
        new["id"], new["metadata"] = old["id"], old["metadata"]
        nb.cells[i] = new
    return nb


def stuff_outputs(nb, megabytes: int = 50):
    """A print loop's output left in the notebook: ``megabytes`` MB of text."""
    line = "The time is " + "x" * 87 + "\n"
    text = line * (megabytes * 10_000)
    cell = nb.cells[index_of(nb, "clock_server") + 2]  # the self-check cell
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    cell.execution_count = 3
    return nb


def rename_answer_id(nb):
    nb.cells[index_of(nb, "clock_server")].metadata["nbgrader"]["grade_id"] = "my_answer"
    return nb


def no_cells(nb):
    nb.cells = []
    return nb


@dataclass
class Case:
    name: str
    did: str  # what the student did, as the table says it
    base: str  # the sample submission it starts from
    grade: str  # "correct", "wrong_answer": that submission's grade; "zero"; "unreadable"
    notes: list[str] = field(default_factory=list)  # words each expected in the grading's notes
    change: Callable | None = None
    files: Callable | None = None  # base notebook -> {file name: bytes} of the submission folder


def _misnamed(nb):
    return {"clock (1).ipynb": dump(nb)}


def _two_notebooks(nb):
    other = load("wrong_answer")
    return {NOTEBOOK: dump(nb), "clock-Copy1.ipynb": dump(other)}


def _truncated(nb):
    data = dump(nb)
    return {NOTEBOOK: data[: len(data) * 2 // 3]}


def _wrong_nbformat(nb):
    data = json.loads(dump(nb))
    data["nbformat"] = 99
    return {NOTEBOOK: json.dumps(data).encode()}


def _empty(nb):
    return {NOTEBOOK: b""}


CASES = [
    Case("deleted_test", "deleted a test cell", "correct", "correct", ["test_starts", "put back"], delete_test),
    Case("tampered", "gutted a test cell, overwrote the server file from a later cell, patched "
         "graders.grading.notebook.check in the kernel", "wrong_answer", "wrong_answer", [], tamper),
    Case("duplicated_answer", "duplicated the answer cell (a correct server)", "correct", "correct",
         ["appears 2 times", "the last one", "was graded"], duplicate_answer),
    Case("duplicated_answer_variant", "duplicated the answer cell, then broke the copy (the last)", "correct",
         "wrong_answer", ["appears 2 times", "the last one, cell 7"], duplicate_answer_variant),
    Case("duplicated_test", "duplicated a test cell", "correct", "correct",
         ["test_answers_question appears 2 times", "counts once"], duplicate_test),
    Case("forged_grade_cell", "added a cell with nbgrader grade metadata (points: 100)", "wrong_answer",
         "wrong_answer", ["'extra_credit', 100 points", "earns nothing"], forge_grade_cell),
    Case("no_writefile", "removed the `%%writefile clock_server.py` line of a correct answer cell", "correct",
         "correct", ["did not start with `%%writefile clock_server.py`", "put `%%writefile clock_server.py` back"],
         drop_writefile),
    Case("reordered", "moved the cells around (tests first, the answer last)", "correct", "correct", [], reorder),
    Case("markdown_to_code", "turned markdown cells (the spec, a heading) into code cells", "correct", "correct",
         ["(spec) had been turned into a code cell"], markdown_to_code),
    Case("stuffed_outputs", "left 50 MB of output in the notebook", "correct", "correct",
         ["MB of cell outputs", "discarded"], stuff_outputs),
    Case("renamed_answer_id", "renamed the answer cell's grade_id", "correct", "correct",
         ["changed to 'my_answer'", "graded as the answer"], rename_answer_id),
    Case("no_cells", "handed in a notebook with no cells", "correct", "zero",
         ["none of the assignment's cells"], no_cells),
    Case("two_notebooks", "two notebooks in the submission folder (clock.ipynb and a copy)", "correct",
         "correct", ["clock-Copy1.ipynb", "not graded"], files=_two_notebooks),
    Case("other_name", "handed in the notebook under another name (clock (1).ipynb)", "correct", "correct",
         ["clock (1).ipynb", "graded as clock.ipynb"], files=_misnamed),
    Case("truncated", "truncated the notebook file (invalid JSON)", "correct", "unreadable",
         ["not valid JSON", "cut short"], files=_truncated),
    Case("wrong_nbformat", "a notebook file of an unknown format version (nbformat 99)", "correct",
         "unreadable", ["format 99"], files=_wrong_nbformat),
    Case("empty_file", "handed in an empty file (0 bytes)", "correct", "unreadable", ["empty"], files=_empty),
]


def submission(case: Case) -> dict[str, bytes]:
    """The files of the case's submission folder, as the student handed them in."""
    nb = load(case.base)
    if case.change is not None:
        nb = case.change(nb)
    if case.files is not None:
        return case.files(nb)
    return {NOTEBOOK: dump(nb)}


def write(case: Case, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in submission(case).items():
        (folder / name).write_bytes(data)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "build/mangled")
    for case in CASES:
        write(case, target / case.name / ASSIGNMENT)
        print(target / case.name / ASSIGNMENT)
