"""Which processes belong to the sandboxes a test started: found and killed through handles that
name those sandboxes and nothing else, ever (tests/hostile/conftest.py's ``watch``, tests/test_sandbox.py).

Never by a pid or a PID namespace's inode alone: the kernel reuses both, and on a shared
machine a pid or an inode of ours can name another run's sandbox by the time we look.  What
is recorded for each sandbox, when it starts:

* its marker token (``GRADERS_SANDBOX_ID``, random);
* the cgroups the grading created for it (named after the token): their members are its processes;
* in the namespaces mode, a pidfd (``pidfd_open(2)``) for process 1 of its PID namespace, the
  jail.  While that process runs, the namespace (so its inode) is that sandbox's; once it has
  exited, the kernel has killed every process of the namespace (pid_namespaces(7)).

Sandboxes started by another process (``python -m graders check`` run by a test) are not seen
starting; :meth:`Watch.run` runs such a command under a child subreaper that the test started
and holds (tests/_subreaper.py): whatever the command leaves behind is adopted by it, so its
descendants are exactly what the command left, and nothing of anyone else's.

A hostile server is also recognised by name, but only when it carries this test session's
marker (``WORKBOOK_TEST_SESSION``, which sandboxes do not pass on): one started outside any
sandbox by the code under test.
"""
from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from graders.sandbox import Sandbox

SERVERS = Path(__file__).resolve().parent / "hostile" / "servers"
HOSTILE_NAMES = tuple(sorted(p.name for p in SERVERS.glob("*.py"))) + ("graders-hostile-daemon",)


def _pid_namespace(pid: int | str, which: str = "pid") -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/{which}")
    except OSError:
        return None


MY_PID_NAMESPACE = _pid_namespace("self")


@dataclass
class Watched:
    """One sandbox of the test, by handles that cannot name another process."""

    token: str
    cgroups: list[Path] = field(default_factory=list)  # the cgroups made for it (named after the token)
    namespace: str | None = None  # its PID namespace (/proc/PID/ns/pid): valid only while `init` runs
    init: int | None = None  # a pidfd for process 1 of that namespace (the jail)

    def init_running(self) -> bool:
        if self.init is None:
            return False
        readable, _, _ = select.select([self.init], [], [], 0)
        return not readable

    def in_cgroup(self, pid: int) -> bool:
        for group in self.cgroups:
            try:
                if str(pid) in (group / "cgroup.procs").read_text().split():
                    return True
            except OSError:
                pass
        return False

    def members(self) -> list[psutil.Process]:
        """Its live processes: its cgroups' members, and while its jail runs, its namespace's."""
        found = {}
        for group in self.cgroups:
            try:
                pids = [int(x) for x in (group / "cgroup.procs").read_text().split()]
            except OSError:
                continue  # removed: it was empty
            for pid in pids:
                try:
                    proc = psutil.Process(pid)
                except psutil.Error:
                    continue
                if self.in_cgroup(pid):  # still ours now that psutil pinned its start time
                    found[pid] = proc
        if self.namespace is not None and self.init_running():
            in_namespace = {}
            for proc in psutil.process_iter():
                if _pid_namespace(proc.pid) == self.namespace:
                    in_namespace[proc.pid] = proc
            if self.init_running():  # the namespace outlived the scan: its inode was still its own
                found.update(in_namespace)
        return [p for p in found.values() if _alive(p)]

    def kill(self) -> None:
        """SIGKILL everything left: the jail (the kernel kills its namespace), the cgroups' members."""
        if self.init is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(self.init, signal.SIGKILL)
        for group in self.cgroups:
            try:
                pids = [int(x) for x in (group / "cgroup.procs").read_text().split()]
            except OSError:
                continue
            for pid in pids:
                _kill_if(pid, lambda: self.in_cgroup(pid))

    def close(self) -> None:
        if self.init is not None:
            os.close(self.init)
            self.init = None


def _alive(proc: psutil.Process) -> bool:
    """The process is running (the same one: psutil checks its start time) and no zombie."""
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _kill_if(pid: int, still_ours) -> None:
    """SIGKILL ``pid`` through a pidfd, if ``still_ours()`` holds once the pidfd is open (so the
    pidfd names the process that was checked, not one that took its pid since)."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        if still_ours():
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(fd, signal.SIGKILL)
    finally:
        os.close(fd)


def _marked(proc: psutil.Process, tokens: set[str]) -> bool:
    try:
        return proc.environ().get("GRADERS_SANDBOX_ID") in tokens
    except psutil.Error:
        return False


def _session_named(proc: psutil.Process) -> bool:
    """A hostile server by name, started from this test session (it carries our session's marker)."""
    try:
        cmdline = " ".join(proc.cmdline())
        return (any(name in cmdline for name in HOSTILE_NAMES)
                and proc.environ().get("WORKBOOK_TEST_SESSION") == os.environ.get("WORKBOOK_TEST_SESSION", "-"))
    except psutil.Error:
        return False


class Reaper:
    """A command run under tests/_subreaper.py: the subreaper is our child, held by a pidfd, and
    every process the command leaves is its descendant until killed."""

    SCRIPT = Path(__file__).resolve().parent / "_subreaper.py"

    def __init__(self, command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="graders-reaper-"))
        self.out, self.err = self.dir / "out", self.dir / "err"
        self.process = subprocess.Popen([sys.executable, str(self.SCRIPT), str(self.out), str(self.err), "--",
                                         *command], env=env, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.pidfd = os.pidfd_open(self.process.pid)  # our child, not reaped yet: the pid is still its

    def wait(self, timeout: float) -> subprocess.CompletedProcess:
        """Wait (up to ``timeout`` s) for the command; its exit status, stdout and stderr."""
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise subprocess.TimeoutExpired(self.process.args, timeout)
        code = int(self.process.stdout.readline() or b"-1")
        return subprocess.CompletedProcess(self.process.args, code, self.out.read_text(errors="replace"),
                                           self.err.read_text(errors="replace"))

    def running(self) -> bool:
        readable, _, _ = select.select([self.pidfd], [], [], 0)
        return not readable

    def left(self) -> list[psutil.Process]:
        """The live processes under the subreaper (while it runs, each has it as an ancestor)."""
        if not self.running():
            return []
        try:
            found = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            return []
        return [p for p in found if _alive(p) and self.running()]

    def kill(self) -> None:
        for proc in self.left():
            _kill_if(proc.pid, lambda: proc.is_running() and proc in self.left())

    def close(self) -> None:
        """End the subreaper (it reaps what it adopted first); kill it if it does not end."""
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            self.process.wait()
        self.process.stdout.close()
        os.close(self.pidfd)
        for path in (self.out, self.err):
            path.unlink(missing_ok=True)
        self.dir.rmdir()


@dataclass
class Watch:
    """The sandboxes started during one test (and the commands it ran through :meth:`run`)."""

    sandboxes: list[Watched] = field(default_factory=list)
    reapers: list[Reaper] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float) -> subprocess.CompletedProcess:
        """Run ``command`` (like ``subprocess.run(capture_output=True, text=True)``) under a subreaper
        whose descendants count as the test's processes until the test ends."""
        reaper = Reaper(command, env=env, cwd=cwd)
        with self.lock:
            self.reapers.append(reaper)
        return reaper.wait(timeout)

    @property
    def tokens(self) -> set[str]:
        return {w.token for w in self.sandboxes}

    def add(self, box: Sandbox) -> None:
        """Record ``box`` (just started, or failed to start)."""
        watched = Watched(box.token, [Path(d) for d in (box.cgroup.dirs if box.cgroup is not None else [])])
        host = box.host_pid
        if host is not None and box.mode == "namespaces":
            namespace = _pid_namespace(host, "pid_for_children")
            if namespace and namespace != MY_PID_NAMESPACE:
                try:
                    children = psutil.Process(host).children()
                except psutil.Error:
                    children = []
                for child in children:  # the jail: process 1 of the namespace
                    try:
                        fd = os.pidfd_open(child.pid)
                    except OSError:
                        continue
                    try:
                        held = child.is_running() and child.ppid() == host and \
                            _pid_namespace(child.pid) == namespace
                    except psutil.Error:
                        held = False
                    if held:
                        watched.namespace, watched.init = namespace, fd
                        break
                    os.close(fd)
        with self.lock:
            self.sandboxes.append(watched)

    def owns(self, pid: int) -> bool:
        """Whether ``pid`` is, right now, a process of one of the watched sandboxes."""
        try:
            proc = psutil.Process(pid)
        except psutil.Error:
            return False
        return any(proc.pid in {p.pid for p in w.members()} for w in self.sandboxes) or \
            _marked(proc, self.tokens)

    def processes(self, *, by_name: bool = True) -> list[psutil.Process]:
        """Every live process that belongs to one of the watched sandboxes (or, ``by_name``, is a
        hostile server started from this test session)."""
        found = {}
        for watched in self.sandboxes:
            found.update({p.pid: p for p in watched.members()})
        for reaper in self.reapers:
            found.update({p.pid: p for p in reaper.left()})
        tokens = self.tokens
        mine = {os.getpid()} | {reaper.process.pid for reaper in self.reapers}  # its command line names the server
        for proc in psutil.process_iter():
            if proc.pid in mine or proc.pid in found or not _alive(proc):
                continue
            if (tokens and _marked(proc, tokens)) or (by_name and _session_named(proc)):
                found[proc.pid] = proc
        return list(found.values())

    def kill(self) -> None:
        """SIGKILL the survivors, through handles that name only them."""
        tokens = self.tokens
        for watched in self.sandboxes:
            watched.kill()
        for reaper in self.reapers:
            reaper.kill()
        mine = {os.getpid()} | {reaper.process.pid for reaper in self.reapers}
        for proc in psutil.process_iter():
            if proc.pid not in mine and (_marked(proc, tokens) or _session_named(proc)):
                _kill_if(proc.pid, lambda: proc.is_running() and (_marked(proc, tokens) or _session_named(proc)))

    def close(self) -> None:
        for watched in self.sandboxes:
            watched.close()
        for reaper in self.reapers:
            reaper.close()

    def rss_bytes(self) -> int:
        """Resident memory of the largest watched sandbox: its processes summed (a sample).

        A grading's checks run at once, each server in a sandbox of its own with its own
        memory limit, so the limit to check holds per sandbox.
        """
        sizes = []
        for watched in list(self.sandboxes):
            total = 0
            for proc in watched.members():
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            sizes.append(total)
        return max(sizes, default=0)
