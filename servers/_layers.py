"""Helpers shared by the layer 3-5 reference servers and notebooks (not a lesson).

The servers themselves use :mod:`servers._runtime` (``--host``/``--port``,
the ``listening on HOST:PORT`` line, clean stops, the parent-death watchdog).
This module adds what layers 3-5 need on top of it:

* :data:`BACKLOG` -- socketserver's ``request_queue_size`` of 5 makes a burst
  of clients wait for SYN retransmits, so our servers queue more;
* :func:`children` / :func:`zombies` -- what a server's child processes are
  doing, through psutil (status ``zombie`` is ``Z`` in ``ps``);
* :func:`listening_ports` -- the TCP ports a process tree listens on.
"""
from __future__ import annotations

import atexit
import os
import signal
import sys

from servers import _runtime

BACKLOG = 128


def log(text: str) -> None:
    """Print one line with a single write() and flush it.

    ``print()`` writes the text and the newline separately; when a parent and
    its forked children share one output pipe, their lines can then be spliced
    together.  One small write() to a pipe is atomic.
    """
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
_parent: int | None = None


def run_forking(serve, description, argv=None, *, configure=None) -> None:
    """:func:`servers._runtime.run` for servers that call ``os.fork()``.

    The runtime's parent-death watchdog is a thread, and ``os.fork()`` in a
    multi-threaded process is unsafe (only the forking thread survives in the
    child; a lock another thread held stays locked forever) -- Python 3.12+
    warns about it with a DeprecationWarning.  So forking servers run without
    that thread; their loop calls :func:`check_parent` instead (socketserver's
    ``service_actions``, or an ``accept`` with a timeout).
    """
    global _parent
    expected = os.environ.get("SERVERS_PARENT_PID", "")
    _parent = int(expected) if expected.isdigit() else os.getppid()
    os.environ["SERVERS_WATCHDOG"] = "0"  # no watchdog thread (and no PDEATHSIG)
    _runtime.run(serve, description, argv, configure=configure)


def check_parent() -> None:
    """Stop (like SIGTERM) if the process that started this server has died."""
    if _parent is not None and os.getppid() != _parent:
        print("parent process died; stopping", flush=True)
        raise _runtime.Stop(signal.SIGTERM)


class ParentCheckMixIn:
    """For socketserver servers run by :func:`run_forking`: check the parent every poll."""

    def service_actions(self):
        super().service_actions()
        check_parent()


def children(pid: int) -> dict[int, str]:
    """``{child pid: status}`` for the direct children of ``pid`` ('zombie', 'sleeping', ...)."""
    import psutil

    found = {}
    try:
        kids = psutil.Process(pid).children()
    except psutil.Error:
        return found
    for kid in kids:
        try:
            found[kid.pid] = kid.status()
        except psutil.Error:
            pass
    return found


def zombies(pid: int) -> list[int]:
    """The children of ``pid`` that have exited but were not reaped yet."""
    import psutil

    return sorted(p for p, status in children(pid).items() if status == psutil.STATUS_ZOMBIE)


def listening_ports(pid: int) -> set[int]:
    """TCP ports on which ``pid`` or any of its descendants listens."""
    import psutil

    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.Error:
        return set()
    pids = {p.pid for p in procs}
    return {c.laddr.port for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.pid in pids}


class Command:
    """Any command (``python -m http.server ...``) run as a child, its output collected.

    Used like :func:`servers.notebook.start` for programs that do not print
    our ``listening on`` line: :meth:`wait_for` waits for a regular
    expression in the output (with a deadline), :meth:`stop` sends SIGINT,
    then SIGTERM, then SIGKILL and reaps the process.
    """

    def __init__(self, argv: list[str], cwd: str | None = None, env: dict | None = None):
        import subprocess
        import threading

        child_env = dict(os.environ)
        child_env.update(env or {})
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, cwd=cwd, env=child_env)
        self.pid = self.proc.pid
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()
        _commands.add(self)

    def _drain(self) -> None:
        fd = self.proc.stdout.fileno()
        try:
            while chunk := os.read(fd, 65536):
                with self._cond:
                    self._buf += chunk
                    self._cond.notify_all()
        except OSError:
            pass
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def output(self) -> str:
        with self._cond:
            return self._buf.decode(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 15.0):
        """Wait until ``pattern`` (a regex) matches the output; return the match."""
        import re
        import time

        regex = re.compile(pattern, re.MULTILINE)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                match = regex.search(self._buf.decode(errors="replace"))
                if match:
                    return match
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    self.stop()
                    raise TimeoutError(f"{' '.join(self.argv)} did not print {pattern!r}; "
                                       f"output:\n{self._buf.decode(errors='replace')}")
                self._cond.wait(min(left, 0.5))

    def stop(self) -> int:
        import signal
        import subprocess

        for sig, grace in ((signal.SIGINT, 3.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                break
            try:
                self.proc.send_signal(sig)
                self.proc.wait(grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        code = self.proc.wait()
        self._thread.join(5.0)
        self.proc.stdout.close()
        _commands.discard(self)
        return code

    def __enter__(self) -> "Command":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


_commands: set = set()


def _stop_commands() -> None:
    for cmd in list(_commands):
        try:
            cmd.stop()
        except Exception:
            pass


atexit.register(_stop_commands)


async def serve_asyncio(server, clients=()) -> None:
    """Announce an ``asyncio`` server, serve until SIGINT/SIGTERM, then stop in order.

    The order matters: stop accepting, close every client connection, wait
    (bounded) until the server has let go of them, and only then leave the
    event loop.  Leaving ``asyncio.run`` with connections still open lets a
    transport outlive its server, which Python 3.13.0 reports as "Exception
    ignored in ... _SelectorTransport.__del__".  Ends by raising what
    :func:`servers._runtime.run` expects for the signal received
    (KeyboardInterrupt for SIGINT, ``Stop`` for SIGTERM).
    """
    import asyncio

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    _runtime.ready(server.sockets[0].getsockname())
    await stop.wait()
    server.close()
    for writer in list(clients):
        writer.close()
    if hasattr(server, "close_clients"):  # 3.13+: also connections whose handler never started
        server.close_clients()
    try:
        await asyncio.wait_for(server.wait_closed(), 3.0)
    except (TimeoutError, asyncio.TimeoutError):
        pass
    if received[0] == signal.SIGINT:
        raise KeyboardInterrupt
    raise _runtime.Stop(received[0])
