"""The graded assignments, by name: each module defines ``ASSIGNMENT``.

Adding an assignment: write ``graders/assignments/NAME.py`` with an
:class:`~graders.checking.checks.Assignment` called ``ASSIGNMENT`` and its checks, add
NAME to :data:`NAMES`, and add ``solutions/NAME/NAME.ipynb`` whose autograder
test cells call ``check("NAME", "CHECK")``.

May import :mod:`graders.checking` and :mod:`graders.sandbox`.
"""
from __future__ import annotations

import importlib

from graders.checking.checks import Assignment

NAMES = ("clock", "swap", "secret_number", "secret_word")


def available() -> list[str]:
    """The assignments whose check modules exist."""
    names = []
    for name in NAMES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError:
            continue
        names.append(name)
    return names


def get(name: str) -> Assignment:
    """The assignment called ``name``; raises KeyError for an unknown name."""
    if name not in NAMES:
        raise KeyError(f"no assignment called {name!r}; there are: {', '.join(available())}")
    module = importlib.import_module(f"{__name__}.{name}")
    # A course's student view (graders/course/student_view.py) says how many hidden checks it took out.
    module.ASSIGNMENT.withheld = getattr(module, "WITHHELD_CHECKS", 0)
    return module.ASSIGNMENT
