"""Start a student's notebook kernel unprivileged and half-blind (root only).

``graders.grading.plugins.Execute`` launches the kernel of every autograded
notebook through this wrapper::

    python -I _kernel_jail.py --uid N --home DIR --plan JSON [--cgroup PROCS ...] -- KERNEL ARGV

It runs as root, then: enters a private mount namespace and masks what the
kernel must not see (the course folders, the gradebook, other submissions,
the temporary directory; see ``graders.sandbox.mount_plan``), joins the pids
and memory cgroups, copies the connection file (root's, mode 0600) into the
kernel's own home, hands the kernel's working directory to uid N, drops to
uid N and execs the kernel.  The kernel keeps the host network (Jupyter
talks to it over loopback TCP).  A kernel cell can then neither write the
gradebook or other students' files nor read them.
"""
import ctypes
import json
import os
import shutil
import signal
import sys

# The jail code (standard library only) is in graders/sandbox/, beside this folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sandbox"))
from _jail import apply_limits, set_up_mounts  # noqa: E402

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18

PR_SET_PDEATHSIG = 1


def parse(argv: list[str]) -> tuple[dict, list[str]]:
    """``--uid N --home DIR --plan JSON [--limits JSON] [--cgroup PROCS ...] -- KERNEL ARGV`` as
    (the jail's options, the kernel's argv)."""
    split = argv.index("--")
    opts, kernel = argv[:split], argv[split + 1:]
    jail = {"uid": None, "home": None, "plan": None, "limits": {}, "cgroups": []}
    for key, value in zip(opts[::2], opts[1::2]):
        if key == "--cgroup":
            jail["cgroups"].append(value)
        elif key in ("--plan", "--limits"):
            jail[key[2:]] = json.loads(value)
        else:
            jail[key[2:]] = value
    jail["uid"] = int(jail["uid"])
    return jail, kernel


def enter(jail: dict, kernel: list[str]) -> dict[str, str]:
    """Jail this process for a kernel (see the module docstring); returns the kernel's extra
    environment.  ``kernel``'s connection file (after ``-f``) is replaced by the kernel's own copy.

    ``jail``: ``{"uid": N, "home": DIR, "plan": mount plan, "limits": rlimits, "cgroups": [PROCS]}``.
    Raises OSError.  Used by ``main`` (which then execs the kernel) and by ``_kernel_zygote.py``.
    """
    uid, home = int(jail["uid"]), jail["home"]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "make / private")
    # The connection file: readable by root only; give the kernel its own copy.
    if "-f" in kernel:
        where = kernel.index("-f") + 1
        copy = os.path.join(home, os.path.basename(kernel[where]))
        shutil.copy(kernel[where], copy)
        os.chown(copy, uid, uid)
        kernel[where] = copy
    set_up_mounts(jail["plan"])
    for procs in jail.get("cgroups", []):
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    apply_limits(jail.get("limits") or {})
    parent = os.getppid()
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    # Die with the grading process (a batch worker killed with SIGKILL leaves no kernel behind).
    # Set after setuid(): changing credentials clears the parent-death signal.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    return dict(HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"),
                JUPYTER_RUNTIME_DIR=os.path.join(home, "runtime"), MPLCONFIGDIR=os.path.join(home, ".mpl"))


def main(argv: list[str]) -> None:
    jail, kernel = parse(argv)
    env = dict(os.environ, **enter(jail, kernel))
    os.execvpe(kernel[0], kernel, env)


if __name__ == "__main__":
    main(sys.argv[1:])
