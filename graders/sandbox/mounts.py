"""What a sandboxed program may not see: the mount plan of its private mount namespace.

:func:`default_hidden` lists the course's files no student code may read while it is
graded; :func:`mount_plan` turns that into the masks ``_jail.set_up_mounts`` applies.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SENSITIVE = ("submitted", "autograded", "feedback", "release", "source", "exchange", ".graders",
             "solutions", "examples", "build", "gradebook.db")


def default_hidden() -> list[Path]:
    """What no student code may read while it is graded.

    nbgrader runs in the course root: when the current directory is one (it
    holds gradebook.db or nbgrader_config.py) all of it is hidden (submissions,
    grades.csv, notes, ...); otherwise its course folders are.  In the
    repository, the course folders and the hidden tests (solutions/) are; so
    are the paths in ``GRADERS_HIDE`` (os.pathsep-separated).
    """
    cwd = Path.cwd().resolve()
    found = []
    if (cwd / "gradebook.db").exists() or (cwd / "nbgrader_config.py").exists():
        if cwd != Path(cwd.anchor):
            found.append(cwd)
    else:
        found += [cwd / name for name in SENSITIVE if (cwd / name).exists()]
    found += [REPO / name for name in SENSITIVE if (REPO / name).exists()]
    # The instructor's course root when a batch worker grades in a scratch copy (graders.grading.worker).
    found += [Path(p) for p in os.environ.get("GRADERS_HIDE", "").split(os.pathsep) if p and Path(p).exists()]
    return found


def mount_plan(keep: set[str], hide: list[Path], *, unprivileged: bool) -> dict:
    """What to mask in a private mount namespace (the plan for ``_jail.set_up_mounts``).

    The temporary directory and every path in ``hide`` are masked with an
    empty tmpfs, except the paths in ``keep`` and this Python's installation,
    which are bound back.  With ``unprivileged``, directories other users may
    not enter on the way to those (e.g. ``/root`` holding pyenv's Python) are
    masked too, with just the way through bound back.
    """
    needed = {os.path.realpath(p) for p in (sys.executable, sys.prefix, sys.base_prefix)} | set(keep)
    masks: dict[str, set[str]] = {}
    temp = os.path.realpath(tempfile.gettempdir())
    masks[temp] = {p for p in needed if p.startswith(temp + os.sep)}
    if unprivileged:
        for path in needed:
            parts = Path(path).parts
            for i in range(1, len(parts) - 1):
                ancestor = os.path.join(*parts[:i + 1])
                if os.path.isdir(ancestor) and not os.stat(ancestor).st_mode & 0o001:
                    masks.setdefault(ancestor, set()).add(os.path.join(*parts[:i + 2]))
                    break
    nulls = []
    for hidden in hide:
        real = os.path.realpath(hidden)
        if os.path.isdir(real):
            masks.setdefault(real, set()).update(p for p in needed if p.startswith(real + os.sep))
        elif os.path.isfile(real):
            nulls.append(real)
    order = sorted(masks, key=lambda d: d.count(os.sep))
    return {"mask": [[d, sorted(masks[d])] for d in order], "null": nulls}

