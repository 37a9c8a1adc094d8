"""Real Unix users for the course tests (root only): create, run as, remove.

A course has an instructor and students who are different Unix users
(docs/course.md).  The tests create them with ``useradd`` and run each
nbgrader command as one of them.  This repository's Python may live where
other users cannot enter (pyenv under ``/root``, mode 0700); so a command run
as a user starts here, as root, in a private mount namespace where such a
directory is masked with an empty tmpfs and only the way to Python is bound
back (graders.sandbox._jail.set_up_mounts, as the sandbox does for kernels), then
drops to the user (setgroups, setgid, setuid) and execs the command.  On a
real server Python is installed where every user can run it and none of
this is needed.

    python -I tests/course_users.py USER CWD [--plan JSON] -- COMMAND ...   (as root)
"""
from __future__ import annotations

import ctypes
import json
import os
import pwd
import subprocess
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()
CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18


def is_root() -> bool:
    return os.geteuid() == 0


def unique_name(prefix: str) -> str:
    """A user name no other test run uses at the same time (``prefix`` + 8 hex digits)."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def create_user(name: str, home: Path) -> pwd.struct_passwd:
    """``useradd`` a user with its own group and ``home`` (made, 0755); returns its passwd entry.

    Raises subprocess.CalledProcessError when useradd fails (e.g. not root).
    """
    subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/sh",
                    "--user-group", name], check=True, capture_output=True, text=True)
    entry = pwd.getpwnam(name)
    home.mkdir(parents=True, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    home.chmod(0o755)
    return entry


def remove_user(name: str) -> None:
    """``userdel`` the user (and its group); a user that is already gone is fine."""
    subprocess.run(["userdel", name], capture_output=True, text=True)


def environment(user: str, home: Path, **extra: str) -> dict[str, str]:
    """A login-like environment for ``user``: HOME, USER, LOGNAME, PATH with this Python's bin/ first."""
    env = {key: value for key, value in os.environ.items()
           if key in ("LANG", "LC_ALL", "TZ", "WORKBOOK_TEST_SESSION", "GRADERS_ISOLATION")}
    env.update(HOME=str(home), USER=user, LOGNAME=user,
               PATH=os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]))
    env.update(extra)
    return env


def run_as(user: str, argv: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120,
           plan: dict | None = None) -> subprocess.CompletedProcess:
    """Run ``argv`` as ``user`` in ``cwd`` (see the module's docstring); output captured, never raises on status.

    ``plan``: more mounts first (``_jail.set_up_mounts``), e.g. a course's
    student view (``Course.student_plan()``).  Raises
    subprocess.TimeoutExpired after ``timeout`` seconds.
    """
    return subprocess.run(spawn_argv(user, argv, cwd=cwd, plan=plan), env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def spawn_argv(user: str, argv: list[str], *, cwd: Path, plan: dict | None = None) -> list[str]:
    """The command line that runs ``argv`` as ``user`` (for Popen, when the command must run on)."""
    extra = ["--plan", json.dumps(plan)] if plan else []
    return [sys.executable, "-I", str(HERE), user, str(cwd), *extra, "--", *argv]


def _way_to_python() -> dict:
    """Directories others cannot enter on the way to this Python, and what to bind back in each."""
    needed = {os.path.realpath(p) for p in (sys.executable, sys.prefix, sys.base_prefix)}
    masks: dict[str, set[str]] = {}
    for path in needed:
        parts = Path(path).parts
        for i in range(1, len(parts) - 1):
            ancestor = os.path.join(*parts[:i + 1])
            if os.path.isdir(ancestor) and not os.stat(ancestor).st_mode & 0o001:
                masks.setdefault(ancestor, set()).add(os.path.join(*parts[:i + 2]))
                break
    return {"mask": [[d, sorted(keep)] for d, keep in sorted(masks.items())], "null": []}


def main(argv: list[str]) -> None:
    split = argv.index("--")
    (user, cwd, *opts), command = argv[:split], argv[split + 1:]
    entry = pwd.getpwnam(user)
    plan = _way_to_python()
    if opts:  # --plan JSON: after the way to Python
        extra = json.loads(opts[opts.index("--plan") + 1])
        for key in ("mask", "bind", "null"):
            plan[key] = plan.get(key, []) + extra.get(key, [])
    if plan["mask"] or plan.get("bind"):
        sys.path.insert(0, str(REPO / "graders" / "sandbox"))
        from _jail import set_up_mounts
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNS) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "make / private")
        set_up_mounts(plan)
    os.setgroups([])
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.umask(0o022)
    os.chdir(cwd)
    os.execvpe(command[0], command, os.environ)


if __name__ == "__main__":
    main(sys.argv[1:])
