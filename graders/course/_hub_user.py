"""Start a JupyterHub user's server as that user (root only; see graders/course/hub.py).

JupyterHub's spawner (``graders.course.hub.CourseSpawner``) runs::

    python -I _hub_user.py --plan JSON -- jupyterhub-singleuser ARGS

with the user's name in ``JUPYTERHUB_USER`` (set by JupyterHub).  When the
plan masks anything (this Python lives below a folder other users may not
enter, e.g. pyenv's ``/root/.pyenv``), it enters a private mount namespace,
masks that folder with an empty tmpfs and binds back just the way to the
Python installation (``_jail.set_up_mounts``); then it drops to the user
(``initgroups``, ``setgid``, ``setuid``) and execs the server.  Nothing else
of the folder becomes visible.  A student's plan also masks the repository's
solutions and binds the student view over its checks (graders/course/student_view.py).  Source: Linux man pages unshare(2),
mount_namespaces(7), initgroups(3).
"""
import ctypes
import json
import os
import pwd
import sys

# The jail code (standard library only) is in graders/sandbox/, beside this folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox"))
from _jail import set_up_mounts  # noqa: E402

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18


def main(argv: list[str]) -> None:
    split = argv.index("--")
    opts, command = argv[:split], argv[split + 1:]
    plan = json.loads(opts[opts.index("--plan") + 1]) if "--plan" in opts else {}
    user = pwd.getpwnam(os.environ["JUPYTERHUB_USER"])
    if plan.get("mask") or plan.get("bind"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNS) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
        if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
            raise OSError(ctypes.get_errno(), "make / private")
        set_up_mounts(plan)
    os.initgroups(user.pw_name, user.pw_gid)
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    try:
        os.chdir(user.pw_dir)
    except OSError:
        pass
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
