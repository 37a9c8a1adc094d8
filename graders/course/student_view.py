"""What a course's students may see: the visible checks, not the hidden ones or the solutions.

Self-study from a clone keeps everything readable, as it should: the learner
is their own instructor.  In a course (``python -m graders course init``,
docs/course.md) the hidden checks are part of the exam, so a student's
JupyterLab (on the course's JupyterHub, graders/course/hub.py) runs in a private
mount namespace where

* ``graders/assignments/`` is replaced by a copy whose hidden checks were
  taken out (:func:`strip_hidden`): the self-check and ``python -m graders
  check`` run the visible checks, and the hidden ones can be neither read nor
  run;
* ``solutions/``, ``examples/``, ``tests/`` (correct and buggy servers),
  ``.git`` (the history holds every file) and ``.graders/`` (journals of
  gradings) are empty folders.

The instructor's side (Formgrader, the batch) runs outside that namespace and
has every check.  The copy lives in the course folder (``DIR/student_view``)
and is written again by ``course init``; the mounts are a plan for
``_jail.set_up_mounts`` (:func:`mount_plan`).

Sources: Python's ``ast`` module (``ast.unparse``); mount_namespaces(7).
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

from graders.course.paths import REPO

ASSIGNMENTS = REPO / "graders" / "assignments"
HIDDEN_FOLDERS = ("solutions", "examples", "tests", ".git", ".graders")
HEADER = ("# A course's student view of graders/assignments/{name} (graders/course/student_view.py):\n"
          "# the hidden checks and what only they use were taken out.\n")


def _is_hidden_check(node: ast.stmt) -> bool:
    """A function decorated ``@check(..., hidden=True)`` (or ``@ASSIGNMENT.check(...)``)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            for keyword in decorator.keywords:
                if keyword.arg == "hidden" and isinstance(keyword.value, ast.Constant) and keyword.value.value:
                    return True
    return False


def _names_used(nodes) -> set[str]:
    used = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                used.add(sub.id)
            elif isinstance(sub, ast.Attribute):
                used.add(sub.attr)
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.isidentifier():
                used.add(sub.value)  # depends="name", getattr(module, "name")
    return used


def strip_hidden(source: str, name: str = "module.py") -> str:
    """``source`` of a check module without its hidden checks, nor the private helpers only they used.

    Private helpers are top-level functions and classes whose names start with
    ``_`` or are not used anywhere else in the module once the hidden checks
    are gone (repeated until nothing more goes).  Raises SyntaxError when
    ``source`` does not parse.
    """
    tree = ast.parse(source)
    body = [node for node in tree.body if not _is_hidden_check(node)]
    while True:
        removable = []
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.decorator_list:
                others = [other for other in body if other is not node]
                if node.name not in _names_used(others):
                    removable.append(node)
        if not removable:
            break
        body = [node for node in body if node not in removable]
    tree.body = body
    withheld = sum(_is_hidden_check(node) for node in ast.parse(source).body)
    # How many checks were taken out, for the notebook's self-check ("6 more run when your work is
    # graded"; graders.assignments.get reads it); their names and code stay out.
    count = f"WITHHELD_CHECKS = {withheld}\n" if withheld else ""
    return HEADER.format(name=name) + ast.unparse(ast.fix_missing_locations(tree)) + "\n" + count


def write(dest: Path) -> Path:
    """Write the student view of ``graders/assignments/`` into ``dest`` (replaced); returns ``dest``.

    Every file and folder is readable by all (0644, 0755): students' servers
    import it.
    """
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in sorted(ASSIGNMENTS.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        out = dest / path.name
        out.write_text(text if path.name == "__init__.py" else strip_hidden(text, path.name), encoding="utf-8")
        out.chmod(0o644)
    dest.chmod(0o755)
    return dest


def mount_plan(view: Path) -> dict:
    """The mounts of a student's namespace (a plan for ``_jail.set_up_mounts``).

    ``view`` (from :func:`write`) is bound over ``graders/assignments/``;
    :data:`HIDDEN_FOLDERS` of the repository become empty.
    """
    return {"mask": [[str(REPO / folder), []] for folder in HIDDEN_FOLDERS if (REPO / folder).is_dir()],
            "bind": [[str(Path(view).resolve()), str(ASSIGNMENTS)]], "null": []}


def merge(*plans: dict) -> dict:
    """One plan doing what each of ``plans`` does (masks first, then binds, then files nulled)."""
    merged: dict = {"mask": [], "bind": [], "null": []}
    for plan in plans:
        for key in merged:
            merged[key] += plan.get(key, [])
    return merged
