"""Per-sandbox pids + memory cgroups (v1 or v2), where this machine lets us make them.

A :class:`Cgroup` holds every process of one sandbox (or one notebook kernel): its
``pids.max`` and memory limit cover all of them together, :meth:`Cgroup.freeze` holds
them all up for a moment (the explorer's held steps: graders.sandbox.watch.hold), and
:meth:`Cgroup.remove` kills whatever is left in it.  See docs/isolation.md.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import sys
import time
from pathlib import Path

CGROUP_V1 = Path("/sys/fs/cgroup")
CGROUP_PARENT = "graders"


@functools.lru_cache(maxsize=None)
def cgroup_support() -> str:
    """``"v1"`` or ``"v2"`` when per-sandbox pids and memory cgroups can be made here, else ``""``."""
    if os.environ.get("GRADERS_CGROUPS") == "off" or not sys.platform.startswith("linux"):
        return ""
    if (CGROUP_V1 / "pids" / "cgroup.procs").exists() and os.access(CGROUP_V1 / "pids", os.W_OK):
        try:
            for controller in ("pids", "memory"):
                (CGROUP_V1 / controller / CGROUP_PARENT).mkdir(exist_ok=True)
            return "v1"
        except OSError:
            return ""
    controllers = CGROUP_V1 / "cgroup.controllers"
    if controllers.exists() and "pids" in controllers.read_text() and os.access(CGROUP_V1, os.W_OK):
        try:
            (CGROUP_V1 / "cgroup.subtree_control").write_text("+pids +memory")
            parent = CGROUP_V1 / CGROUP_PARENT
            parent.mkdir(exist_ok=True)
            (parent / "cgroup.subtree_control").write_text("+pids +memory")
            return "v2"
        except OSError:
            return ""
    return ""



class Cgroup:
    """A pids + memory cgroup for one sandbox (removed by :meth:`remove`); on cgroup v1 also a
    freezer cgroup where the machine has one (:meth:`freeze`)."""

    def __init__(self, name: str, limits) -> None:
        """``limits``: a :class:`graders.sandbox.isolation.Limits` (its ``processes`` and ``memory_bytes``)."""
        self.version = cgroup_support()
        self.dirs: list[Path] = []
        self.freezer: Path | None = None  # the directory whose freezer.state (v1) or cgroup.freeze (v2) we write
        if self.version == "v1":
            pids = CGROUP_V1 / "pids" / CGROUP_PARENT / name
            memory = CGROUP_V1 / "memory" / CGROUP_PARENT / name
            pids.mkdir()
            self.dirs.append(pids)
            (pids / "pids.max").write_text(str(limits.processes))
            memory.mkdir()
            self.dirs.append(memory)
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            with contextlib.suppress(OSError):
                (memory / "memory.memsw.limit_in_bytes").write_text(str(limits.memory_bytes))
            freezer = CGROUP_V1 / "freezer" / CGROUP_PARENT / name
            if (CGROUP_V1 / "freezer" / "cgroup.procs").exists():
                with contextlib.suppress(OSError):
                    freezer.mkdir(parents=True)
                    self.dirs.append(freezer)
                    self.freezer = freezer
        elif self.version == "v2":
            group = CGROUP_V1 / CGROUP_PARENT / name
            group.mkdir()
            self.dirs.append(group)
            (group / "pids.max").write_text(str(limits.processes))
            with contextlib.suppress(OSError):
                (group / "memory.max").write_text(str(limits.memory_bytes))
                (group / "memory.swap.max").write_text("0")
            if (group / "cgroup.freeze").exists():
                self.freezer = group

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def freeze(self, timeout: float = 2.0) -> bool:
        """Freeze every member until :meth:`thaw`; True once the kernel says they are all frozen.

        The cgroup freezer (Linux's cgroup-v1/freezer-subsystem.rst; cgroup-v2.rst, "cgroup.freeze")
        stops the processes without a signal: unlike SIGSTOP, a parent gets no SIGCHLD and the
        server cannot tell.  The kernel still takes what arrives on its sockets.  False (nothing
        frozen) where there is no freezer, or the members did not all freeze within ``timeout`` s.
        """
        if self.freezer is None:
            return False
        deadline = time.monotonic() + timeout
        try:
            if self.version == "v1":
                (self.freezer / "freezer.state").write_text("FROZEN")
                frozen = lambda: (self.freezer / "freezer.state").read_text().strip() == "FROZEN"  # noqa: E731
            else:
                (self.freezer / "cgroup.freeze").write_text("1")
                frozen = lambda: "frozen 1" in (self.freezer / "cgroup.events").read_text()  # noqa: E731
            while not frozen():
                if time.monotonic() > deadline:
                    self.thaw()
                    return False
                time.sleep(0.001)
        except OSError:
            self.thaw()
            return False
        return True

    def thaw(self) -> None:
        """Let the members run again after :meth:`freeze` (harmless when not frozen)."""
        if self.freezer is None:
            return
        with contextlib.suppress(OSError):
            if self.version == "v1":
                (self.freezer / "freezer.state").write_text("THAWED")
            else:
                (self.freezer / "cgroup.freeze").write_text("0")

    def kill(self) -> None:
        """SIGKILL the group's members, each through a pidfd opened while it was still a member: a
        pid read from ``cgroup.procs`` whose process exits at once may be another process's by the
        time it is signalled (without pidfds, Linux before 5.3: by pid).  A frozen group is thawed
        first (on cgroup v1 a frozen process does not die until it is thawed)."""
        self.thaw()
        pids = self.pids()
        if not hasattr(os, "pidfd_open"):
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            return
        held = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                held[pid] = os.pidfd_open(pid)
        try:
            members = self.pids()  # opened before this read: a pidfd of a member names that member
            for pid, fd in held.items():
                if pid in members:
                    with contextlib.suppress(OSError):
                        signal.pidfd_send_signal(fd, signal.SIGKILL)
        finally:
            for fd in held.values():
                os.close(fd)

    def pids(self) -> set[int]:
        found = set()
        for d in self.dirs:
            with contextlib.suppress(OSError):
                found |= {int(x) for x in (d / "cgroup.procs").read_text().split()}
        return found

    def remove(self, timeout: float = 10.0) -> None:
        """Kill whatever is left in the group and remove it (waits up to ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while self.dirs and time.monotonic() < deadline:
            self.kill()
            for d in list(self.dirs):
                try:
                    d.rmdir()
                    self.dirs.remove(d)
                except FileNotFoundError:
                    self.dirs.remove(d)
                except OSError:
                    pass
            if self.dirs:
                time.sleep(0.005)  # the kernel is still tearing processes down

