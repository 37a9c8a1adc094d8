"""Run a command under a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), and stay: every process
the command leaves behind (a double-forked daemon, a sandbox whose parent died) is adopted by
this process instead of init, so it stays a descendant of a process the test started and holds.

    python _subreaper.py OUT ERR -- COMMAND...

COMMAND runs with stdout to the file OUT, stderr to ERR; when it ends, its exit status is
printed on our stdout (one line).  We then reap whatever we adopt until our stdin closes
(the test's teardown), and exit.  Standard library only.
"""
from __future__ import annotations

import ctypes
import os
import select
import signal
import subprocess
import sys

PR_SET_CHILD_SUBREAPER = 36


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> int:
    out, err, dashes, *command = sys.argv[1:]
    assert dashes == "--" and command, __doc__
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print(f"prctl: {os.strerror(ctypes.get_errno())}", file=sys.stderr)
        return 2
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        code = subprocess.call(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    print(code, flush=True)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_write)
    reap()
    while True:
        ready, _, _ = select.select([sys.stdin, wake_read], [], [])
        if wake_read in ready:
            os.read(wake_read, 4096)
            reap()
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
            reap()
            return 0


if __name__ == "__main__":
    sys.exit(main())
