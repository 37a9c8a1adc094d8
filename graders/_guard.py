"""Run a command that dies with its parent: ``python -m graders._guard -- CMD ...``.

Sets PR_SET_PDEATHSIG (SIGKILL) and execs CMD, so a grading started by the
batch is killed when the batch is (Ctrl-C or ``kill -9``): a rerun never
races an orphaned grading of the same student.  Linux only; elsewhere it just
execs.
"""
import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1

if __name__ == "__main__":
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    parent = int(os.environ.pop("GRADERS_GUARD_PARENT", "0"))
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if parent and os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    os.execvp(argv[0], argv)
