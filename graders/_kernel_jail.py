"""Start a student's notebook kernel unprivileged and half-blind (root only).

``graders.nbgrader.Execute`` launches the kernel of every autograded
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _jail import apply_limits, set_up_mounts  # noqa: E402

CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    split = argv.index("--")
    opts, kernel = argv[:split], argv[split + 1:]
    args = {"--cgroup": []}
    i = 0
    while i < len(opts):
        key, value = opts[i], opts[i + 1]
        if key == "--cgroup":
            args[key].append(value)
        else:
            args[key] = value
        i += 2
    uid, home = int(args["--uid"]), args["--home"]
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
    set_up_mounts(json.loads(args["--plan"]))
    for procs in args["--cgroup"]:
        with open(procs, "w") as f:
            f.write(str(os.getpid()))
    apply_limits(json.loads(args.get("--limits", "{}")))
    env = dict(os.environ, HOME=home, IPYTHONDIR=os.path.join(home, ".ipython"),
               JUPYTER_RUNTIME_DIR=os.path.join(home, "runtime"), MPLCONFIGDIR=os.path.join(home, ".mpl"))
    parent = os.getppid()
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    # Die with the grading process (a batch worker killed with SIGKILL leaves no kernel behind).
    # Set after setuid(): changing credentials clears the parent-death signal.
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    os.execvpe(kernel[0], kernel, env)


if __name__ == "__main__":
    main(sys.argv[1:])
