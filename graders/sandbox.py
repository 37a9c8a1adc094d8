"""Run one untrusted server program in isolation and talk to it.

:class:`Sandbox` starts a student's server under the jail (``graders/_jail.py``)
as a pexpect child (``PopenSpawn``): the server's stdout and stderr go to a pipe
that the grader drains (never to the Jupyter kernel's stderr, where nbgrader would
score a test cell 0).  The jail reports when the server listens and on which
port, and connects the grader's clients to it inside the server's own network
namespace.

Isolation modes, probed once per process (:func:`isolation_mode`):

``"namespaces"``
    Linux with ``unshare(1)`` and network + PID namespaces (as root, or as a
    user through a user namespace).  Every sandbox gets a loopback-only network
    namespace and a PID namespace: hard-coded ports never collide, and nothing
    the server starts outlives it.
``"fallback"``
    Anything else (macOS; containers that forbid namespaces).  The server runs
    in the host's network; hard-coded ports are serialised with a lock file and
    ``SO_REUSEADDR`` is switched on for ``socketserver`` servers so TIME_WAIT
    does not block a regrade; clean-up kills the process group and every
    process carrying the sandbox's marker variable.  See docs/isolation.md.

Set ``GRADERS_ISOLATION=fallback`` to force the fallback (tests do, to cover it).

In the namespaces mode a sandbox is forked by this process's :class:`Zygote`
(``graders/_zygote.py``: a pre-started jail, about 20 ms of CPU per sandbox instead
of two interpreter start-ups) rather than started with ``unshare(1)``;
``GRADERS_ZYGOTE=off`` goes the plain way.  The jail passes a netlink socket of the
server's namespace (``_jail.SockDiag``) with its ``started`` event, for
:mod:`graders.watch`.
"""

from __future__ import annotations

import contextlib
import functools
import atexit
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import queue

import pexpect
from pexpect.popen_spawn import PopenSpawn

from ._jail import SockDiag

JAIL = Path(__file__).with_name("_jail.py")
ZYGOTE = Path(__file__).with_name("_zygote.py")
FALLBACK_SITE = Path(__file__).with_name("_fallback_site")
OUTPUT_LIMIT = 64 * 1024  # bytes of server output kept for feedback


class PipeSpawn(PopenSpawn):
    """pexpect's ``PopenSpawn`` whose reads wait for output instead of spinning.

    ``PopenSpawn.read_nonblocking`` returns at once when its reader thread has
    queued nothing, whatever the timeout, so a loop draining a quiet server
    kept a core busy (0.12 s of CPU per sandbox start); and its reader thread
    took 1 KiB per read, too slow for a server that prints megabytes before it
    listens.  Here the reader takes up to 64 KiB at a time and
    :meth:`read_nonblocking` blocks up to ``timeout`` seconds for the first piece.
    """

    def _read_incoming(self) -> None:
        fileno = self.proc.stdout.fileno()
        while True:
            try:
                data = os.read(fileno, 65536)
            except OSError:
                data = b""
            self._read_queue.put(data or None)
            if not data:
                return

    def read_nonblocking(self, size, timeout):
        if not self._buf and not self._read_reached_eof:
            try:
                first = self._read_queue.get(timeout=1e6 if timeout is None else max(timeout, 0))
            except queue.Empty:
                raise pexpect.TIMEOUT("no output within the timeout") from None
            if first is None:
                self._read_reached_eof = True
            else:
                self._buf += self._decoder.decode(first, final=False)
        return super().read_nonblocking(size, 0)


class SandboxError(Exception):
    """The sandbox itself could not be started (not the student's fault)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for the student's server (POSIX rlimits).

    Units: seconds of CPU time, bytes, counts.  ``processes`` is enforced only
    for a non-root user (Linux ignores RLIMIT_NPROC for root); see
    docs/isolation.md for what stands in for it.
    """

    cpu_seconds: int = 60
    address_space_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    open_files: int = 256
    processes: int = 64
    core_bytes: int = 0
    memory_bytes: int = 512 << 20  # all the server's processes together (memory cgroup)

    def as_json(self) -> str:
        return json.dumps(self.__dict__)


@functools.lru_cache(maxsize=None)
def isolation_mode() -> str:
    """``"namespaces"`` when an isolated network + PID namespace can be made here."""
    forced = os.environ.get("GRADERS_ISOLATION")
    if forced in ("namespaces", "fallback"):
        return forced
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return "fallback"
    if _unshare_prefix() is None:
        return "fallback"
    return "namespaces"


@functools.lru_cache(maxsize=None)
def _unshare_prefix() -> tuple[str, ...] | None:
    base = ("unshare", "--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc")
    candidates = [base] if os.geteuid() == 0 else []
    candidates.append(base + ("--user", "--map-root-user"))
    for prefix in candidates:
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return prefix
    return None


SANDBOX_UIDS = range(300_000, 400_000)  # unprivileged uids for servers when we are root
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


def sandbox_uid(token: str) -> int:
    """The unprivileged uid (and gid) for the sandbox with this hex ``token``."""
    return SANDBOX_UIDS[int(token[:8], 16) % len(SANDBOX_UIDS)]


def drops_privileges() -> bool:
    """True when servers run under their own unprivileged uid (we are root, with namespaces)."""
    return (os.geteuid() == 0 and isolation_mode() == "namespaces"
            and os.environ.get("GRADERS_SANDBOX_UID") != "off")


def guarantees() -> dict[str, bool]:
    """What this machine's sandboxes enforce (for docs, tests and the demo's header)."""
    namespaces = isolation_mode() == "namespaces"
    return {
        "private_network": namespaces,
        "everything_killed_at_end": namespaces or bool(cgroup_support()),
        "process_limit": bool(cgroup_support()) or drops_privileges() or os.geteuid() != 0,
        "memory_limit_all_processes": bool(cgroup_support()),
        "course_files_hidden": namespaces,
        "unprivileged_user": drops_privileges() or os.geteuid() != 0,
    }


class Cgroup:
    """A pids + memory cgroup for one sandbox (removed by :meth:`remove`)."""

    def __init__(self, name: str, limits: "Limits") -> None:
        self.version = cgroup_support()
        self.dirs: list[Path] = []
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
        elif self.version == "v2":
            group = CGROUP_V1 / CGROUP_PARENT / name
            group.mkdir()
            self.dirs.append(group)
            (group / "pids.max").write_text(str(limits.processes))
            with contextlib.suppress(OSError):
                (group / "memory.max").write_text(str(limits.memory_bytes))
                (group / "memory.swap.max").write_text("0")

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def kill(self) -> None:
        """SIGKILL the group's members, each through a pidfd opened while it was still a member: a
        pid read from ``cgroup.procs`` whose process exits at once may be another process's by the
        time it is signalled (without pidfds, Linux before 5.3: by pid)."""
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


def base_environment() -> dict[str, str]:
    """The environment every sandboxed program starts from (a sandbox adds its marker and extras)."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8:backslashreplace"
    # glibc reserves 64 MiB of address space per malloc arena (one per thread, up to 8 x cores):
    # under the address-space limit a threaded server could not start more than ~13 threads.
    env["MALLOC_ARENA_MAX"] = "2"
    return env


def prewarm(program: Path | None = None) -> None:
    """Start this process's zygote now (it imports while the caller goes on), when sandboxes use one.

    ``program``: a Python file about to be graded; the zygote imports what it imports.
    """
    if zygote_enabled():
        Zygote.get(_zygote_environment(base_environment()), program_imports(program) if program else ())


def program_imports(path: Path) -> tuple[str, ...]:
    """The absolute module names a Python file's import statements name (and their packages), or ()."""
    try:
        stat = os.stat(path)
    except OSError:
        return ()
    return _program_imports(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _program_imports(path: str, _mtime: int, _size: int) -> tuple[str, ...]:
    import ast
    try:
        tree = ast.parse(Path(path).read_bytes())
    except (OSError, SyntaxError, ValueError):
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
    """This grader process's pre-started jail (``graders/_zygote.py``), one per start-up environment.

    :meth:`spawn` sends it a sandbox's request and two descriptors (the output
    pipe's write end, the jail's control socket) and gets back the pid of the
    sandbox's outer process and a pidfd for it.  Thread-safe; the zygote exits
    when this process closes its socket (at exit, or :meth:`stop_all`).
    """

    program = ZYGOTE  # graders.kernels.KernelZygote runs another
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


REPO = Path(__file__).resolve().parent.parent
SENSITIVE = ("submitted", "autograded", "feedback", "release", "source", "exchange", ".graders",
             "solutions", "examples", "build", "gradebook.db")


def default_hidden() -> list[Path]:
    """What no student code may read while it is graded.

    nbgrader runs in the course root: when the current directory is one (it
    holds gradebook.db or nbgrader_config.py) all of it is hidden (submissions,
    grades.csv, notes, ...); otherwise its course folders are.  In the
    repository, the course folders and the hidden tests (solutions/) are; so
    are the paths in ``GRADERS_HIDE`` (os.pathsep-separated).
    """
    cwd = Path.cwd().resolve()
    found = []
    if (cwd / "gradebook.db").exists() or (cwd / "nbgrader_config.py").exists():
        if cwd != Path(cwd.anchor):
            found.append(cwd)
    else:
        found += [cwd / name for name in SENSITIVE if (cwd / name).exists()]
    found += [REPO / name for name in SENSITIVE if (REPO / name).exists()]
    # The instructor's course root when a batch worker grades in a scratch copy (graders.worker).
    found += [Path(p) for p in os.environ.get("GRADERS_HIDE", "").split(os.pathsep) if p and Path(p).exists()]
    return found


def mount_plan(keep: set[str], hide: list[Path], *, unprivileged: bool) -> dict:
    """What to mask in a private mount namespace (the plan for ``_jail.set_up_mounts``).

    The temporary directory and every path in ``hide`` are masked with an
    empty tmpfs, except the paths in ``keep`` and this Python's installation,
    which are bound back.  With ``unprivileged``, directories other users may
    not enter on the way to those (e.g. ``/root`` holding pyenv's Python) are
    masked too, with just the way through bound back.
    """
    needed = {os.path.realpath(p) for p in (sys.executable, sys.prefix, sys.base_prefix)} | set(keep)
    masks: dict[str, set[str]] = {}
    temp = os.path.realpath(tempfile.gettempdir())
    masks[temp] = {p for p in needed if p.startswith(temp + os.sep)}
    if unprivileged:
        for path in needed:
            parts = Path(path).parts
            for i in range(1, len(parts) - 1):
                ancestor = os.path.join(*parts[:i + 1])
                if os.path.isdir(ancestor) and not os.stat(ancestor).st_mode & 0o001:
                    masks.setdefault(ancestor, set()).add(os.path.join(*parts[:i + 2]))
                    break
    nulls = []
    for hidden in hide:
        real = os.path.realpath(hidden)
        if os.path.isdir(real):
            masks.setdefault(real, set()).update(p for p in needed if p.startswith(real + os.sep))
        elif os.path.isfile(real):
            nulls.append(real)
    order = sorted(masks, key=lambda d: d.count(os.sep))
    return {"mask": [[d, sorted(masks[d])] for d in order], "null": nulls}


@dataclass
class Event:
    kind: str
    data: dict = field(default_factory=dict)


class Sandbox:
    """One student program running in the jail; a context manager.

    ``argv`` is run with ``workdir`` as its current directory.  The sandbox
    owns every process and socket it creates and releases them in
    :meth:`close` (idempotent), also on errors.
    """

    def __init__(self, argv: list[str], workdir: Path, *, limits: Limits | None = None,
                 env: dict[str, str] | None = None, hide: list[Path] | None = None) -> None:
        self.argv = list(argv)
        self.workdir = Path(workdir)
        self.limits = limits or Limits()
        self.mode = isolation_mode()
        self.token = uuid.uuid4().hex
        self._extra_env = env or {}
        self.hide = [Path(p) for p in (default_hidden() if hide is None else hide)]
        self.cgroup: Cgroup | None = None
        self.uid: int | None = None
        self._control_dir = Path(tempfile.mkdtemp(prefix="graders-ctl-"))
        self._listener: socket.socket | None = None
        self._control: socket.socket | None = None
        self._child: PipeSpawn | None = None  # started the plain way
        self._outer_pid: int | None = None  # started from the zygote: its child's pid,
        self._pidfd: int | None = None  # a pidfd for it,
        self._out_read: int | None = None  # and the read end of the output pipe
        self._inbox = b""
        self._events: list[Event] = []
        self._replies: list[dict] = []
        self._passed: list[socket.socket] = []
        # A netlink socket in the server's network namespace, from the jail (graders.watch uses it).
        self.diag: SockDiag | None = None
        self.diag_lock = threading.Lock()
        self._lock = threading.RLock()
        self._lifecycle = threading.RLock()  # start's spawning and close() do not interleave
        self._lock_file = None
        self._output = bytearray()
        self._output_dropped = 0
        self._drain: threading.Thread | None = None
        self._closed = False
        self.started_at = 0.0
        self.pid: int | None = None
        self.exit_code: int | None = None
        self.listening: list[tuple[str, int]] = []

    # -- starting -------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> "Sandbox":
        """Spawn the jail and the program; return once the program was exec'd.

        Raises :class:`SandboxError` when the jail cannot start within
        ``timeout`` seconds (an infrastructure failure, never the student's
        fault: generous, because a saturated machine starts interpreters slowly).
        """
        with self._lifecycle:  # a close() from another thread (a cancelled check) waits, or came first
            if self._closed:
                raise SandboxError("the sandbox was closed before it started")
            self._spawn(timeout)
            self._drain = threading.Thread(target=self._drain_output, daemon=True,
                                           name=f"sandbox-output-{self.token[:6]}")
            self._drain.start()
        if self._child is not None and self._control is None:  # the plain way: the jail connects to us
            if self._listener is None:
                raise SandboxError("the sandbox was closed while it started")
            self._listener.settimeout(timeout)
            try:
                self._control, _ = self._listener.accept()
            except OSError as exc:
                output = bytes(self._output).decode(errors="replace")
                self.close()
                raise SandboxError(f"the jail did not report in: {exc}; output: {output!r}") from exc
            finally:
                if self._listener is not None:  # close() above has closed it already
                    self._listener.close()
                self._listener = None
        deadline = time.monotonic() + timeout
        while True:
            # "listening" and "exited" may come in the same read as "started"; _pump has
            # recorded them (self.listening, self.exit_code), so only the start matters here.
            event = self.next_event(max(deadline - time.monotonic(), 0))
            if event is None or event.kind == "jail_gone":
                self.close()
                raise SandboxError(f"the jail did not start the program (got {event})")
            if event.kind in ("started", "spawn_failed"):
                break
        if event.kind == "spawn_failed":
            self.close()
            raise SandboxError(f"could not start the program: {event.data.get('message')}")
        self.pid = event.data["pid"]
        return self

    def _spawn(self, timeout: float) -> None:
        """Create the cgroup, hand the work directory to the sandbox's uid, start the jail."""
        env = self._environment()
        if cgroup_support():
            self.cgroup = Cgroup(f"sandbox-{self.token}", self.limits)
        if drops_privileges():
            self.uid = sandbox_uid(self.token)
            for path in [self.workdir, *self.workdir.rglob("*")]:
                os.chown(path, self.uid, self.uid)
        if self.mode == "fallback":
            self._hold_fallback_lock(timeout=600)
        self.started_at = time.monotonic()
        if zygote_enabled():
            try:
                self._start_from_zygote(env, timeout)
            except ZygoteBroken as exc:  # this machine cannot fork sandboxes so: the plain way, from now on
                _ZYGOTE_BROKEN.append(str(exc))
                self._start_plain(env, timeout)
        else:
            self._start_plain(env, timeout)

    def _start_plain(self, env: dict[str, str], timeout: float) -> None:
        """``unshare`` + ``python _jail.py`` + the program (or the jail alone, in the fallback mode)."""
        path = str(self._control_dir / "control.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen(1)
        # -S (no site-packages, no editable finders: 12 ms of a 30 ms start) where the jail needs only
        # the standard library; the fallback mode's jail finds listeners with psutil.
        no_site = ["-S"] if self.mode == "namespaces" else []
        jail = [sys.executable, "-I", *no_site, str(JAIL), "--control", path,
                "--workdir", str(self.workdir), "--limits", self.limits.as_json()]
        for procs in self.cgroup.procs_files if self.cgroup is not None else []:
            jail += ["--cgroup", procs]
        if self.uid is not None:
            jail += ["--user-id", str(self.uid), "--group-id", str(self.uid)]
        if self.mode == "namespaces":
            jail += ["--mounts", json.dumps(self._mount_plan())]
            command = [*_unshare_prefix(), *jail, "--netns", "--", *self.argv]
        else:
            command = [*jail, "--", *self.argv]
        try:
            # PopenSpawn (a pipe, started by subprocess's fork_exec) rather than spawn (a pty,
            # forkpty() from Python): the grader has threads, and forking a threaded process
            # in Python code may deadlock the child (3.12+ warns).  PYTHONUNBUFFERED keeps
            # the server's prints unbuffered on the pipe.
            self._child = PipeSpawn(command, env=env, cwd=str(self.workdir), timeout=None,
                                     encoding=None, codec_errors="replace")
        except (OSError, pexpect.ExceptionPexpect) as exc:
            self.close()
            raise SandboxError(f"could not start the jail: {exc}") from exc

    def _start_from_zygote(self, env: dict[str, str], timeout: float) -> None:
        """Fork the sandbox from this process's :class:`Zygote` (graders/_zygote.py)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe()
        request = {
            "workdir": str(self.workdir), "limits": self.limits.as_json(),
            "mounts": json.dumps(self._mount_plan()),
            "cgroup": self.cgroup.procs_files if self.cgroup is not None else [],
            "user_id": self.uid, "group_id": self.uid, "argv": self.argv, "env": env,
            "userns": "--user" in (_unshare_prefix() or ()),
        }
        # `python FILE` runs in the zygote's warm interpreter, which imports what FILE imports (as far
        # as graders/_zygote.py allows) before it forks; anything else is exec'd.
        if len(self.argv) == 2 and self.argv[0] == sys.executable and self.argv[1].endswith(".py"):
            request["inprocess"] = True
            request["preload"] = program_imports(self.workdir / self.argv[1])
        try:
            self._outer_pid, self._pidfd = Zygote.get(_zygote_environment(env)).spawn(
                request, [out_write, theirs.fileno()], timeout)
        except ZygoteBroken:
            os.close(out_read)
            ours.close()
            raise
        except (OSError, SandboxError) as exc:
            os.close(out_read)
            ours.close()
            self.close()
            raise SandboxError(f"could not start the sandbox: {exc}") from exc
        finally:
            os.close(out_write)
            theirs.close()
        self._out_read = out_read
        self._control = ours

    @property
    def host_pid(self) -> int | None:
        """The host pid of the sandbox's outer process (``unshare`` or the zygote's child; the jail in the fallback mode).

        A process in the server's network namespace: its ``/proc/PID/net`` shows the server's sockets.
        None before :meth:`start`.
        """
        if self._child is not None:
            return self._child.pid
        return self._outer_pid

    def _mount_plan(self) -> dict:
        return mount_plan({os.path.realpath(self.workdir)}, self.hide, unprivileged=self.uid is not None)

    def _environment(self) -> dict[str, str]:
        env = base_environment()
        env["GRADERS_SANDBOX_ID"] = self.token
        if self.uid is not None:
            env["HOME"] = str(self.workdir)
        if self.mode == "fallback":
            env["PYTHONPATH"] = str(FALLBACK_SITE)
        env.update(self._extra_env)
        return env

    def _drain_output(self) -> None:
        if self._out_read is not None:  # started from the zygote: a plain pipe
            while chunk := _read_or_eof(self._out_read):
                self._keep_output(chunk)
            return
        child = self._child
        while child is not None:
            try:
                chunk = child.read_nonblocking(65536, timeout=0.5)
            except pexpect.TIMEOUT:
                continue
            except (pexpect.EOF, OSError, ValueError):
                return
            self._keep_output(chunk)

    def _keep_output(self, chunk: bytes) -> None:
        room = OUTPUT_LIMIT - len(self._output)
        self._output += chunk[:max(room, 0)]
        self._output_dropped += max(len(chunk) - max(room, 0), 0)

    # -- events ---------------------------------------------------------------
    def _pump(self, timeout: float | None) -> bool:
        """Read one batch from the jail (events, replies, passed sockets).

        Returns False when nothing arrived within ``timeout`` seconds.
        """
        control = self._control  # close() may clear and close it meanwhile, from another thread
        if control is None:
            return False
        try:
            control.settimeout(timeout)
            data, fds, _flags, _addr = socket.recv_fds(control, 65536, 8)
        except (socket.timeout, BlockingIOError):
            return False
        except OSError:
            data, fds = b"", []
        arrived = [socket.socket(fileno=fd) for fd in fds]
        if not data:
            self._passed += arrived
            control.close()
            if self._control is control:
                self._control = None
            self._events.append(Event("jail_gone"))
            return True
        self._inbox += data
        while b"\n" in self._inbox:
            line, self._inbox = self._inbox.split(b"\n", 1)
            message = json.loads(line)
            if "event" in message:
                event = Event(message.pop("event"), message)
                if event.kind == "started" and message.get("diag") and arrived:
                    self.diag = SockDiag(arrived.pop(0))
                if event.kind == "listening":
                    self.listening.append((message["host"], message["port"]))
                elif event.kind == "exited":
                    self.exit_code = message["code"]
                self._events.append(event)
            else:
                self._replies.append(message)
        self._passed += arrived
        return True

    def next_event(self, timeout: float) -> Event | None:
        """The next event from the jail, or None when ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not self._events:
                left = deadline - time.monotonic()
                if left <= 0 or self._control is None:
                    return None
                self._pump(left)
            return self._events.pop(0)

    def wait_listening(self, timeout: float) -> tuple[str, int] | None:
        """Wait until the program listens on a TCP port (or exits, or timeout).

        Returns (host, port) of the first listening socket, or None when the
        program exited or ``timeout`` seconds passed first; ``exit_code`` tells
        which.
        """
        deadline = time.monotonic() + timeout
        while not self.listening and self.exit_code is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            event = self.next_event(left)
            if event is None or event.kind == "jail_gone":
                break
        return self.listening[0] if self.listening else None

    def wait_exit(self, timeout: float) -> int | None:
        """Wait up to ``timeout`` seconds for the program to exit; its exit code or None."""
        deadline = time.monotonic() + timeout
        while self.exit_code is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            event = self.next_event(left)
            if event is not None and event.kind == "jail_gone":
                break
        return self.exit_code

    def poll(self) -> None:
        """Take in whatever the jail has reported so far, without waiting."""
        with self._lock:
            while self._control is not None and self._pump(0):
                pass

    def alive(self) -> bool:
        """True while the program has not exited."""
        self.poll()
        return self.exit_code is None

    # -- connecting -----------------------------------------------------------
    def open_connection(self, host: str, port: int, timeout: float = 10.0) -> socket.socket:
        """A non-blocking TCP socket whose connect to (host, port) has begun.

        The socket is created inside the server's network namespace.  Raises
        OSError (ConnectionRefusedError and the like) when the connect fails at
        once, ConnectionError when the sandbox has gone.
        """
        with self._lock:
            if self._control is None:
                raise ConnectionError("the server's sandbox is closed")
            request = json.dumps({"cmd": "connect", "host": host, "port": port}) + "\n"
            self._control.sendall(request.encode())
            deadline = time.monotonic() + timeout
            while not self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self._control is None:
                    raise ConnectionError("the sandbox did not answer a connect request")
                self._pump(left)
            reply = self._replies.pop(0)
            if not reply.get("ok"):
                raise OSError(reply.get("errno", 0), reply.get("message", "connect failed"))
            sock = self._passed.pop(0)
            sock.setblocking(False)
            return sock

    # -- output and teardown --------------------------------------------------
    def output(self, *, settle: float = 0.0) -> str:
        """What the program printed so far (stdout and stderr, first 64 KiB).

        ``settle`` (seconds, at most): first wait until no new output has come
        for 50 ms, so that what a program printed just before it exited (a
        traceback) has travelled through the pipe.
        """
        deadline = time.monotonic() + settle
        seen = -1
        while settle and time.monotonic() < deadline and seen != len(self._output) + self._output_dropped:
            seen = len(self._output) + self._output_dropped
            time.sleep(0.05)  # bounded by ``settle``: output has no end-of-message event
        text = bytes(self._output).decode("utf-8", errors="replace").replace("\r\n", "\n")
        if self._output_dropped:
            text += f"\n[... {self._output_dropped} more bytes of output not kept ...]\n"
        return text

    def close(self) -> None:
        """Stop the program and everything it started; release every resource."""
        with self._lifecycle:
            if self._closed:
                return
            self._closed = True
            self._close()

    def _close(self) -> None:
        for sock in self._passed:
            sock.close()
        self._passed.clear()
        with self.diag_lock:
            if self.diag is not None:
                self.diag.close()
                self.diag = None
        if self._control is not None:
            with contextlib.suppress(OSError):
                self._control.close()
            self._control = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        child = self._child
        if child is not None:
            # The jail exits when its control socket closes; make sure of it.
            with contextlib.suppress(Exception):
                if not _wait_dead(child, 2.0):
                    child.kill(9)
                    _wait_dead(child, 5.0)
            with contextlib.suppress(Exception):
                child.proc.stdin.close()
                child.proc.wait(5)
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                if not _pidfd_wait(self._pidfd, 2.0):
                    signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
                    _pidfd_wait(self._pidfd, 5.0)
            os.close(self._pidfd)
            self._pidfd = None
        if self._drain is not None:
            self._drain.join(timeout=2)
        if self._out_read is not None and (self._drain is None or not self._drain.is_alive()):
            os.close(self._out_read)
            self._out_read = None
        self._kill_marked()
        if self.cgroup is not None:
            self.cgroup.remove()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        shutil.rmtree(self._control_dir, ignore_errors=True)

    def _hold_fallback_lock(self, timeout: float) -> None:
        """Fallback mode shares the host's ports: one sandbox at a time per machine."""
        import fcntl
        path = Path(tempfile.gettempdir()) / "graders-fallback.lock"
        self._lock_file = open(path, "a+")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise SandboxError("another grading held the fallback lock for too long")
                time.sleep(0.01)  # waiting for another process's lock, bounded

    def _kill_marked(self) -> None:
        """Kill any process still carrying this sandbox's marker (fallback mode)."""
        if self.mode == "namespaces":
            return
        import psutil
        for proc in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if proc.environ().get("GRADERS_SANDBOX_ID") == self.token:
                    proc.kill()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _wait_dead(child: PopenSpawn, timeout: float) -> bool:
    try:
        child.proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False
