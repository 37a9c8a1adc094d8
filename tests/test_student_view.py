"""The course's student view of the checks (graders/course/student_view.py): the visible checks, nothing hidden."""
from __future__ import annotations

import importlib.util

import pytest

from graders import assignments
from graders.course import student_view


@pytest.fixture(scope="module")
def view(tmp_path_factory):
    return student_view.write(tmp_path_factory.mktemp("view") / "assignments")


@pytest.mark.parametrize("name", assignments.NAMES)
def test_the_view_has_the_visible_checks_and_no_hidden_one(view, name):
    full = assignments.get(name)
    path = view / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"graders.assignments._student_view_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # it imports and registers its checks like the original
    visible = {c.name: (c.description, c.depends, c.spec) for c in full.checks.values() if not c.hidden}
    assert {c.name: (c.description, c.depends, c.spec) for c in module.ASSIGNMENT.checks.values()} == visible
    assert list(module.ASSIGNMENT.checks) == [n for n in full.checks if n in visible]  # same order
    text = path.read_text()
    hidden = [c.name for c in full.checks.values() if c.hidden]
    assert hidden and not [n for n in hidden if f"def {n}(" in text or f"'{n}'" in text]
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_the_plan_binds_the_view_and_masks_the_solutions(view):
    plan = student_view.mount_plan(view)
    assert plan["bind"] == [[str(view.resolve()), str(student_view.ASSIGNMENTS)]]
    masked = {folder for folder, keep in plan["mask"] if not keep}
    assert str(student_view.REPO / "solutions") in masked and str(student_view.REPO / "examples") in masked
