"""Processes held by a pidfd (``pidfd_open(2)``, Linux 5.3+, Python 3.9+): a handle that names one
process and never another, unlike a pid or a namespace's inode, which the kernel reuses.

Teardown and leak checks use it to wait for, and kill, only their own processes: a process
they started (held at once: nobody else can reap our child, so its pid cannot be reused
before we hold it), or one they found (held, then confirmed by psutil's start-time check, so a
pid reused between finding and holding is never held).
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import time

import psutil


class Held:
    """A set of pidfds with a description each; close it (or use ``with``) to release them."""

    def __init__(self) -> None:
        self._fds: dict[int, str] = {}

    def __enter__(self) -> "Held":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def hold(self, proc: psutil.Process | subprocess.Popen | int, what: str = "") -> bool:
        """Hold ``proc``; False when it has already exited (then there is nothing to hold)."""
        pid = proc if isinstance(proc, int) else proc.pid
        try:
            fd = os.pidfd_open(pid)
        except ProcessLookupError:
            return False
        if isinstance(proc, psutil.Process) and not proc.is_running():  # the pid now names another process
            os.close(fd)
            return False
        if not what:
            try:
                what = " ".join(psutil.Process(pid).cmdline())[:300]
            except psutil.Error:
                what = "?"
        self._fds[fd] = f"pid {pid}: {what}"
        return True

    def running(self) -> list[str]:
        """The held processes that have not exited (a zombie has exited)."""
        if not self._fds:
            return []
        ready, _, _ = select.select(list(self._fds), [], [], 0)
        return [what for fd, what in self._fds.items() if fd not in ready]

    def wait_gone(self, timeout: float) -> bool:
        """True when every held process has exited within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        pending = set(self._fds)
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select(list(pending), [], [], left)
            pending -= set(ready)
        return True

    def kill(self) -> None:
        """SIGKILL every held process that is still running."""
        for fd in self._fds:
            try:
                signal.pidfd_send_signal(fd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def close(self) -> None:
        for fd in self._fds:
            os.close(fd)
        self._fds.clear()
