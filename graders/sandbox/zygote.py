"""The client side of the sandbox zygote (``graders/sandbox/_zygote.py``).

In the namespaces mode every grader process keeps one pre-started jail, the zygote,
which forks each sandbox (``unshare(2)``, then the jail code) and runs the student's
``python FILE`` in its already-started interpreter, with the standard-library modules
FILE imports already loaded: a sandbox costs about 20 ms of CPU instead of two
interpreter start-ups.  :class:`Zygote` talks to it; ``GRADERS_ZYGOTE=off`` (or a
machine where it cannot work, :class:`ZygoteBroken`) goes the plain way.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import contextlib
from pathlib import Path

from graders.sandbox.isolation import SandboxError, base_environment, isolation_mode

ZYGOTE = Path(__file__).with_name("_zygote.py")


def prewarm(program: Path | None = None) -> None:
    """Start this process's zygote now (it imports while the caller goes on), when sandboxes use one.

    ``program``: a Python file about to be graded; the zygote imports what it imports.
    """
    if zygote_enabled():
        Zygote.get(_zygote_environment(base_environment()), program_imports(program) if program else ())


def program_imports(path: Path) -> tuple[str, ...]:
    """The absolute module names a Python file's import statements name (and their packages), or ().

    Only what the zygote preloads (a speed-up): a file it cannot read or parse gives ().
    """
    try:
        source = Path(path).read_bytes()
    except OSError:
        return ()
    return _program_imports(source)  # by content: every sandbox has its own copy of the same file


_PARSING = threading.Lock()


@functools.lru_cache(maxsize=256)
def _program_imports(source: bytes) -> tuple[str, ...]:
    import ast
    try:
        # One parse at a time: CPython 3.11's AST constructor keeps its recursion depth per interpreter,
        # and parses in several threads at once can fail with "SystemError: AST constructor recursion
        # depth mismatch" (python/cpython gh-106905), seen once in 300 gradings under load.
        with _PARSING:
            tree = ast.parse(source)
    except (SyntaxError, ValueError, SystemError):
        return ()
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found = [node.module]
        else:
            continue
        for name in found:
            parts = name.split(".")
            names += [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return tuple(dict.fromkeys(names))


class ZygoteBroken(SandboxError):
    """The zygote cannot fork sandboxes on this machine (e.g. no pidfd_open): go the plain way."""


_ZYGOTE_BROKEN: list[str] = []  # why the zygote was given up in this process, if it was


def zygote_enabled() -> bool:
    """True when sandboxes are forked from a :class:`Zygote` (the namespaces mode, Linux 5.3+).

    ``GRADERS_ZYGOTE=off`` starts every sandbox the plain way (``unshare`` + a new jail); so
    does a process whose zygote said it cannot work here (:class:`ZygoteBroken`).
    """
    return (isolation_mode() == "namespaces" and not _ZYGOTE_BROKEN and hasattr(os, "pidfd_open")
            and hasattr(signal, "pidfd_send_signal") and os.environ.get("GRADERS_ZYGOTE") != "off")


# What a server's environment holds that is the same for every sandbox: the zygote starts with it
# (Python reads PYTHONUNBUFFERED, PYTHONIOENCODING and the locale at start-up); the rest of a
# sandbox's environment (its marker, HOME, a check's variables) is set in its jail.
# (PYTHONPATH is not one: the zygote applies a sandbox's own, sitecustomize included, as start-up would.)
_STARTUP_KEYS = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT", "TMPDIR", "PYTHONUNBUFFERED",
                 "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "MALLOC_ARENA_MAX",
                 "PYTHONHASHSEED", "PYTHONWARNINGS", "PYTHONUTF8")


def _zygote_environment(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k in _STARTUP_KEYS or k.startswith("LC_")}


class Zygote:
    """This grader process's pre-started jail (``graders/sandbox/_zygote.py``), one per start-up environment.

    :meth:`spawn` sends it a sandbox's request and two descriptors (the output
    pipe's write end, the jail's control socket) and gets back the pid of the
    sandbox's outer process and a pidfd for it.  Thread-safe; the zygote exits
    when this process closes its socket (at exit, or :meth:`stop_all`).
    """

    program = ZYGOTE  # graders.grading.kernels.KernelZygote runs another
    _running: dict[tuple, "Zygote"] = {}  # every zygote of this process, the kernel zygote's too
    _lock = threading.Lock()

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] = ()) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, str(self.program), str(theirs.fileno()), *self._arguments(preload)],
                pass_fds=[theirs.fileno(), *self._passed()],
                env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        self.sock = ours
        self.lock = threading.Lock()

    def _arguments(self, preload: tuple[str, ...]) -> list[str]:
        """The program's arguments after its socket's descriptor."""
        return [",".join(preload)]

    def _passed(self) -> list[int]:
        """More descriptors the program inherits."""
        return []

    @classmethod
    def get(cls, env: dict[str, str], preload: tuple[str, ...] = ()) -> "Zygote":
        """The running zygote for this start-up environment (started, with ``preload``, if there is none)."""
        key = (cls.program.name, tuple(sorted(env.items())))
        with cls._lock:
            zygote = cls._running.get(key)
            if zygote is None or zygote.proc.poll() is not None:
                if zygote is not None:
                    zygote.stop()
                zygote = cls._running[key] = cls(env, preload)
            return zygote

    def spawn(self, request: dict, fds: list[int], timeout: float) -> tuple[int, int]:
        """Fork one sandbox: its outer process's (pid, pidfd).  Raises SandboxError or OSError."""
        with self.lock:
            self.sock.settimeout(timeout)  # the first request waits for the zygote's imports
            try:
                socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
                data, got, _flags, _addr = socket.recv_fds(self.sock, 65536, 1)
            except socket.timeout:
                self.stop()
                raise SandboxError(f"the zygote did not answer within {timeout:g} s") from None
        reply = json.loads(data) if data else {"ok": False, "message": "the zygote has gone"}
        if not reply.get("ok") or len(got) != 1:
            for fd in got:
                os.close(fd)
            if reply.get("broken"):
                raise ZygoteBroken(reply.get("message", "the zygote cannot work here"))
            raise SandboxError(reply.get("message", "the zygote refused"))
        return reply["pid"], got[0]

    def cpu_seconds(self) -> float:
        """CPU time of the zygote and of every sandbox it started that has ended (0.0 if it cannot say)."""
        with self.lock:
            self.sock.settimeout(10)
            try:
                self.sock.send(json.dumps({"cmd": "usage"}).encode())
                reply = json.loads(self.sock.recv(65536) or b"{}")
            except (OSError, ValueError):
                return 0.0
        return float(reply.get("cpu_seconds", 0.0))

    @classmethod
    def cpu_total(cls) -> float:
        """CPU seconds of this process's running zygotes and their ended sandboxes (see cpu_seconds)."""
        with cls._lock:
            running = list(cls._running.values())
        return sum(zygote.cpu_seconds() for zygote in running)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(5)
            return
        self.proc.kill()
        self.proc.wait()

    @classmethod
    def stop_all(cls) -> None:
        """Stop every zygote of this process (they are started again when needed)."""
        with cls._lock:
            running, cls._running = list(cls._running.values()), {}
        for zygote in running:
            zygote.stop()

    @classmethod
    def pids(cls) -> set[int]:
        """Pids of this process's zygotes (long-lived helpers, not leaks)."""
        with cls._lock:
            return {z.pid for z in cls._running.values()}


atexit.register(Zygote.stop_all)
# A forked child (a multiprocessing "fork" worker, say) must not share its parent's zygote sockets.
os.register_at_fork(after_in_child=lambda: Zygote._running.clear())


def _read_or_eof(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def _pidfd_wait(pidfd: int, timeout: float) -> bool:
    """True when the process of ``pidfd`` has ended within ``timeout`` seconds."""
    readable, _, _ = select.select([pidfd], [], [], timeout)
    return bool(readable)

