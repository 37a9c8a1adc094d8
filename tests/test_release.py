"""notebooks/ (the student workbook) is exactly what nbgrader generates from solutions/."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from graders.course.release import NOTEBOOKS, SOLUTIONS, assignment_names, generate


def _normal(path: Path) -> dict:
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        cell.pop("id", None)
    return nb


@pytest.mark.slow
def test_released_notebooks_match_solutions(tmp_path):
    names = assignment_names()
    assert "clock" in names
    generate(names, tmp_path)
    problems = []
    for name in names:
        fresh = sorted(p.relative_to(tmp_path) for p in (tmp_path / name).rglob("*.ipynb"))
        committed = sorted(p.relative_to(NOTEBOOKS) for p in (NOTEBOOKS / name).rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts)
        if fresh != committed:
            problems.append(f"{name}: files differ: generated {fresh}, committed {committed}")
            continue
        for rel in fresh:
            if _normal(tmp_path / rel) != _normal(NOTEBOOKS / rel):
                problems.append(f"notebooks/{rel} differs from what solutions/{rel.parts[0]} generates")
    assert not problems, "run `make notebooks` and commit:\n" + "\n".join(problems)


def test_released_clock_notebook_has_no_solution_or_hidden_test():
    text = (NOTEBOOKS / "clock" / "clock.ipynb").read_text()
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "raise NotImplementedError()" in text
    assert "%%writefile clock_server.py" in text
    assert "ClockHandler" not in text  # the reference solution's class stays in solutions/
    assert (SOLUTIONS / "clock" / "clock.ipynb").exists()
