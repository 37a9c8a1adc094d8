"""Notebook kernels forked from a zygote instead of started from scratch.

An IPython kernel's start-up costs about 1 s of CPU, nearly all of it imports;
an autograded notebook needs a fresh kernel, so that was the largest share of a
submission's CPU.  :class:`KernelZygote` runs ``graders/grading/_kernel_zygote.py``
once per grading process: it imports ipykernel and its dependencies, then forks
one kernel per notebook (in the same jail as ``_kernel_jail.py`` when the
grader is root).  ``graders.grading.plugins.SandboxedKernelManager`` asks for a kernel
through :func:`launch`, and gets back a :class:`ForkedKernel`, a stand-in for
the ``subprocess.Popen`` of jupyter_client's ``LocalProvisioner`` (``poll``,
``wait``, ``send_signal``, ``kill``, ``terminate``, ``pid``): jupyter_client
and nbclient drive it as they drive any local kernel.

Used only for ``python -m ipykernel_launcher -f FILE`` of this interpreter
(the workbook's kernel spec), in the namespaces isolation mode, and not with
``GRADERS_ZYGOTE=off``; anything else starts the plain way.  Linux only
(``pidfd_open``, ``pidfd_send_signal``).
"""
from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from graders.sandbox import SandboxError, Zygote, ZygoteBroken, zygote_enabled

KERNEL_ZYGOTE = Path(__file__).with_name("_kernel_zygote.py")
START_TIMEOUT = 60.0  # seconds: the zygote's first answer waits for its imports


class KernelZygote(Zygote):
    """This grader process's kernel zygote (see the module docstring); one per start-up environment.

    It also listens on ``self.listen``, a socket in a private folder (mode
    0700), where the local workers of a batch this process runs connect
    (:func:`use_shared`): one zygote's imports for the whole batch.
    """

    program = KERNEL_ZYGOTE

    def __init__(self, env: dict[str, str], preload: tuple[str, ...] = ()) -> None:
        self.folder = tempfile.mkdtemp(prefix="graders-kernels-")
        self.listen = os.path.join(self.folder, "zygote.sock")
        # Bound here, before the zygote starts: a worker may connect at once (and wait for its imports).
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.listener.bind(self.listen)
            self.listener.listen(64)
            super().__init__(env, preload)
        except OSError:
            self.listener.close()
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self.listener.close()  # the zygote has its copy

    def _arguments(self, preload: tuple[str, ...]) -> list[str]:
        return [str(self.listener.fileno())]

    def _passed(self) -> list[int]:
        return [self.listener.fileno()]

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class ConnectedZygote(KernelZygote):
    """A connection to another process's kernel zygote (a batch's, from one of its workers)."""

    def __init__(self, path: str) -> None:  # noqa: D107 - no process of our own to start
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.lock = threading.Lock()
        self.proc = None

    @property
    def pid(self) -> int:
        return 0

    def cpu_seconds(self) -> float:
        return 0.0  # the batch counts its zygote's

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


_SHARED: dict[str, object] = {}  # "path", "key": a batch's zygote; "zygote": our connection to it
_SHARED_LOCK = threading.Lock()
# A forked child must not share our connection (their replies would cross): it makes its own.
os.register_at_fork(after_in_child=lambda: _SHARED.pop("zygote", None))


def use_shared(path: str, key: dict[str, str]) -> None:
    """Fork this process's kernels from the zygote listening at ``path`` (a batch's, whose start-up
    environment is ``key``) instead of starting a zygote of our own."""
    with _SHARED_LOCK:
        _SHARED.clear()
        _SHARED.update(path=path, key=key)


def shared_path() -> tuple[str, dict[str, str]] | None:
    """Where this process's kernel zygote listens, and its start-up environment (started now if
    need be); None where kernels are not forked (see :func:`usable`)."""
    if not usable():
        return None
    key = startup_environment(dict(os.environ))
    return KernelZygote.get(key).listen, key


def _zygote_for(key: dict[str, str]) -> KernelZygote:
    with _SHARED_LOCK:
        if _SHARED.get("key") == key:
            zygote = _SHARED.get("zygote")
            if zygote is None:
                try:
                    zygote = _SHARED["zygote"] = ConnectedZygote(_SHARED["path"])
                except OSError:
                    _SHARED.clear()  # the batch's zygote has gone: start our own
            if zygote is not None:
                return zygote
    return KernelZygote.get(key)


class ForkedKernel:
    """A kernel forked by the zygote, with the ``subprocess.Popen`` methods jupyter_client uses.

    ``pid``: the kernel's pid (and process group: it leads a new session).
    ``returncode``: None while it runs, then its exit status (negative: the
    signal that killed it), read from the status pipe the zygote writes when it
    reaps the kernel.
    """

    stdin = stdout = stderr = None  # what LocalProvisioner.wait() closes: nothing of ours

    def __init__(self, pid: int, pidfd: int, status_fd: int, stdin_fd: int) -> None:
        self.pid, self.returncode = pid, None
        self._pidfd, self._status, self._stdin = pidfd, status_fd, stdin_fd
        self.args = ["ipykernel_launcher"]

    def _read_status(self, timeout: float | None) -> bool:
        if self.returncode is not None:
            return True
        readable, _, _ = select.select([self._status], [], [], timeout)
        if not readable:
            return False
        data = os.read(self._status, 64)
        try:
            self.returncode = int(data)
        except ValueError:  # EOF: the zygote died (its kernels die with it)
            self.returncode = -signal.SIGKILL
        self._close()
        return True

    def poll(self) -> int | None:
        self._read_status(0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._read_status(timeout):
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                signal.pidfd_send_signal(self._pidfd, signum)
            except ProcessLookupError:
                pass  # it has ended; the zygote has not reaped it yet

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _close(self) -> None:
        for fd in (self._pidfd, self._status, self._stdin):
            try:
                os.close(fd)
            except OSError:
                pass
        self._pidfd = self._status = self._stdin = -1

    def __del__(self) -> None:
        if self._status != -1:
            self._close()


def launcher_arguments(cmd: list[str]) -> list[str] | None:
    """``cmd``'s arguments after ``-m ipykernel_launcher`` when it runs that module with this
    interpreter (``[sys.executable, "-m", "ipykernel_launcher", "-f", FILE]``), else None."""
    if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"] and \
            os.path.realpath(cmd[0]) == os.path.realpath(sys.executable):
        return list(cmd[3:])
    return None


# What of a kernel's environment the interpreter reads at start-up, before our zygote's imports
# (the rest, PATH included, is the forked kernel's own: the zygote sets it in the child).
STARTUP_KEYS = ("PYTHONPATH", "PYTHONHASHSEED", "PYTHONUTF8", "PYTHONIOENCODING", "PYTHONDONTWRITEBYTECODE",
                "PYTHONWARNINGS", "LANG", "LC_ALL", "LC_CTYPE")


def startup_environment(env: dict[str, str]) -> dict[str, str]:
    """The environment a kernel zygote starts with (and is chosen by) for kernels with ``env``."""
    return {k: v for k, v in env.items() if k in STARTUP_KEYS}


def prewarm() -> None:
    """Start this process's kernel zygote now (or connect to the batch's), for kernels with this
    process's environment."""
    if usable():
        _zygote_for(startup_environment(dict(os.environ)))


def usable() -> bool:
    """True when kernels may be forked from a zygote here (see the module docstring)."""
    return sys.platform.startswith("linux") and zygote_enabled()


def launch(cmd: list[str], jail: dict | None, env: dict[str, str] | None, cwd: str | None) -> ForkedKernel | None:
    """Fork the kernel ``cmd`` (a ``python -m ipykernel_launcher`` command) from this process's
    kernel zygote, in ``jail`` (``_kernel_jail.enter``'s options) if given.

    Returns None when the zygote cannot run this command or failed (the caller
    starts the kernel the plain way).
    """
    argv = launcher_arguments(cmd)
    if argv is None or not usable():
        return None
    env = dict(os.environ if env is None else env)
    env.pop("JPY_PARENT_PID", None)  # the kernel's parent is the zygote, which sets its own
    zygote = _zygote_for(startup_environment(env))
    stdin_read, stdin_write = os.pipe()  # as launch_kernel's stdin=PIPE: never written, never at EOF
    status_read, status_write = os.pipe()
    try:
        request = {"argv": argv, "env": env, "cwd": os.path.abspath(cwd or os.getcwd()), "jail": jail}
        try:
            pid, pidfd = zygote.spawn(request, [stdin_read, 1, 2, status_write], START_TIMEOUT)
        except (OSError, SandboxError) as exc:  # the plain way still works
            if isinstance(zygote, ConnectedZygote):
                with _SHARED_LOCK:
                    _SHARED.clear()
            if isinstance(exc, ZygoteBroken):
                from graders.sandbox import zygote as sandbox_zygote
                sandbox_zygote._ZYGOTE_BROKEN.append(f"the kernel zygote cannot work here: {exc}")
            os.close(stdin_write)
            os.close(status_read)
            return None
    finally:
        os.close(stdin_read)
        os.close(status_write)
    return ForkedKernel(pid, pidfd, status_read, stdin_write)
