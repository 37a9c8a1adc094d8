"""Build the sample submissions (examples/submissions/STUDENT/ASSIGNMENT/ASSIGNMENT.ipynb).

Each sample is the released notebook (notebooks/ASSIGNMENT/ASSIGNMENT.ipynb), as
a student would hand it in, with its answer cell filled from
examples/ASSIGNMENT/CASE.py (the student ID is the case name).  Special cases:

* ``untouched_stub``: the released notebook as it is (no .py file needed);
* a case file whose first line is ``# notebook-extra: CODE`` also gets a cell
  with CODE added after the answer cell (e.g. one that kills the kernel).

Run it after changing a case or a released notebook:  python examples/build.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from graders import assignments  # noqa: E402
from graders.checking import answers


def build(assignment_name: str) -> list[Path]:
    assignment = assignments.get(assignment_name)
    released = REPO / "notebooks" / assignment_name / f"{assignment_name}.ipynb"
    cases = sorted((HERE / assignment_name).glob("*.py")) + [None]
    written = []
    for case in cases:
        nb = nbformat.read(str(released), as_version=4)
        student = "untouched_stub" if case is None else case.stem
        if case is not None:
            source = case.read_text(encoding="utf-8")
            for index, cell in enumerate(nb.cells):
                first = cell.source.partition("\n")[0]
                if cell.cell_type == "code" and answers.WRITEFILE.match(first.strip()) \
                        and cell.metadata.get("nbgrader", {}).get("solution"):
                    cell.source = f"{first}\n{source.rstrip()}"
                    extra = source.partition("\n")[0]
                    if extra.startswith("# notebook-extra:"):
                        code = extra.split(":", 1)[1].strip().replace("\\n", "\n")
                        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
                    break
            else:
                raise SystemExit(f"{released}: no answer cell for {assignment.answer_file}")
        target = HERE / "submissions" / student / assignment_name / f"{assignment_name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(target))
        written.append(target)
    return written


if __name__ == "__main__":
    names = sys.argv[1:] or [n for n in assignments.available()
                             if (REPO / "notebooks" / n).is_dir() and (HERE / n).is_dir()]
    for name in names:
        for path in build(name):
            print(path.relative_to(REPO))
