"""The layout of graders/ by stage (graders/__init__.py): every import points down.

Stages, from the top: the command line (``graders.__main__``, ``graders.demo``), then
``grading``, ``reports``, ``course``, ``assignments``, ``checking``, ``sandbox``.  A module may
import its own package and the stages below it; no import goes up, and no modules import
each other in a circle (imports under ``if TYPE_CHECKING:`` never run, and do not count).
Found by reading the source (``ast``), so an import inside a function counts too.
"""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import graders

GRADERS = Path(graders.__file__).parent
STAGES = ["grading", "reports", "course", "assignments", "checking", "sandbox"]  # top to bottom
TOP = {"graders", "graders.__main__", "graders.demo"}  # the command line: may import any stage


def module_name(path: Path) -> str:
    parts = path.relative_to(GRADERS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The graders modules ``path`` imports (``from graders.x import y`` counts x.y when it is a module)."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: a relative import; name the stage (from graders.STAGE ...)")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "graders":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "graders"}
    return found


MODULES = {module_name(p) for p in GRADERS.rglob("*.py")}
GRAPH = {module_name(p): imports_of(p) for p in GRADERS.rglob("*.py")}


def stage(module: str) -> int:
    """0 for the command line, 1.. for the stages from the top."""
    parts = module.split(".")
    if module in TOP or len(parts) < 2:
        return 0
    return STAGES.index(parts[1]) + 1


def test_every_module_belongs_to_a_stage():
    loose = [m for m in MODULES if m not in TOP and (len(m.split(".")) < 2 or m.split(".")[1] not in STAGES)]
    assert not loose, f"modules outside the stages of graders/__init__.py: {loose}"


def test_no_import_goes_up_a_stage():
    up = [f"{m} imports {d}" for m, deps in GRAPH.items() for d in deps
          if d in MODULES and d not in TOP and stage(d) < stage(m)]
    assert not up, "imports from a lower stage into a higher one:\n" + "\n".join(up)


def test_no_circle_of_imports():
    seen: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        seen[module] = 1
        path.append(module)
        for dep in sorted(d for d in GRAPH.get(module, ()) if d in GRAPH and d != "graders"):
            if seen.get(dep) == 1:
                circle = path[path.index(dep):] + [dep]
                raise AssertionError("a circle of imports: " + " -> ".join(circle))
            if dep not in seen:
                visit(dep)
        path.pop()
        seen[module] = 2

    for module in sorted(GRAPH):
        if module not in seen:
            visit(module)


def test_the_rule_can_fail(tmp_path):
    """The checks above see an upward import and a circle (so they are not vacuous)."""
    up = tmp_path / "up.py"
    up.write_text("def f():\n    from graders.grading import batch\n")
    assert "graders.grading.batch" in imports_of(up)
    assert stage("graders.sandbox.runner") > stage("graders.grading.batch")
    typed = tmp_path / "typed.py"
    typed.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from graders.checking import checks\n")
    assert imports_of(typed) == {"graders.checking.checks"}  # a type-only import is an import too


@pytest.mark.parametrize("old", sorted(graders.MOVED))
def test_old_names_are_the_new_modules(old):
    """Handed-in notebooks, course configurations and Dask's --preload name the old modules."""
    assert importlib.import_module(old) is importlib.import_module(graders.MOVED[old])
    assert importlib.import_module(old).__spec__.name == graders.MOVED[old]


def test_old_name_runs_as_a_script():
    done = subprocess.run([sys.executable, "-m", "graders.hub", "--help"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "usage" in done.stdout, done.stderr
