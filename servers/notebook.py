"""Run reference servers from a notebook (or a test) as real subprocesses.

A notebook never runs a server loop inside its Jupyter kernel: it starts
``python -m servers.NAME --port 0 ...`` as a child process, waits for the
server's readiness line and talks to it with ordinary sockets::

    from servers.notebook import running, start

    with running("echo_socket") as server:      # stopped when the block ends
        print(server.address)                    # ('127.0.0.1', 40123)
        print(server.output())                   # what the server printed so far

    server = start("clock_server")               # stays up across cells
    ...
    server.stop()                                # exit status (0 = clean)

Guarantees
    * Readiness is awaited with a deadline on the server's output pipe
      (:mod:`selectors`), never with a fixed sleep.  If the server exits or
      stays silent past the deadline, :class:`ServerError` is raised with
      everything it printed.
    * The child is *not* put in a new session: Jupyter stops a kernel by
      signalling its process group, which then includes the server.  The
      child also gets a parent-death watchdog (see :mod:`servers._runtime`).
    * Every started server is kept in a registry.  Starting the same ``key``
      again (re-running a cell) first stops the previous server, and
      :func:`stop_all` runs at interpreter exit, so an interrupted or re-run
      notebook leaves nothing listening.
    * :meth:`ServerProcess.stop` sends SIGINT, then SIGTERM, then SIGKILL,
      each with a deadline, and reaps the process.

The server's stdout and stderr are merged and drained by a thread into a
buffer, so a chatty server never blocks on a full pipe;
:meth:`ServerProcess.output` returns it and :meth:`ServerProcess.wait_for`
waits (with a deadline) until some text appears in it.
"""
from __future__ import annotations

import atexit
import contextlib
import errno
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

__all__ = [
    "ServerError", "ServerProcess", "start", "running", "stop_all", "servers_running",
    "ask", "connect", "ask_udp", "lan_address", "free_port",
]

PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)  # the folder that holds servers/
READY_RE = re.compile(r"^listening on (?:unix:(?P<path>.+)|(?P<host>.*):(?P<port>\d+))\s*$")
START_TIMEOUT = 15.0  # seconds a server gets to print its readiness line
STOP_GRACE = (3.0, 3.0, 5.0)  # seconds waited after SIGINT, SIGTERM, SIGKILL

_registry: dict[str, "ServerProcess"] = {}
_registry_lock = threading.Lock()


class ServerError(RuntimeError):
    """A server did not become ready: it exited or missed its deadline.

    ``output`` holds everything the server printed; ``returncode`` its exit
    status (None if it was still running and had to be killed).
    """

    def __init__(self, message: str, output: str, returncode: int | None):
        super().__init__(f"{message}\n--- server output ---\n{output.rstrip()}\n---")
        self.output = output
        self.returncode = returncode


class ServerProcess:
    """One reference server running as a child process.

    Attributes: ``name`` (module under ``servers``), ``key`` (registry key),
    ``pid``, ``host`` (as printed by the server), ``port`` (int, or None for a
    Unix-domain server), ``path`` (Unix-domain socket path, else None) and
    ``address``: what to pass to ``connect()`` -- ``(host, port)`` with an
    all-interfaces host (``0.0.0.0``, ``::``) replaced by the loopback
    address, or the socket path.
    """

    def __init__(self, name: str, key: str, argv: list[str], proc: subprocess.Popen):
        self.name, self.key, self.argv, self.proc = name, key, argv, proc
        self.pid = proc.pid
        self.host: str | None = None
        self.port: int | None = None
        self.path: str | None = None
        self._buf = bytearray()
        self._cond = threading.Condition()
        self._eof = False
        self._drain: threading.Thread | None = None

    # -- start-up ---------------------------------------------------------
    def _await_ready(self, timeout: float) -> None:
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                text = self._buf.decode(errors="replace")
                for line in text.split("\n")[:-1]:  # complete lines only
                    match = READY_RE.match(line)
                    if match:
                        self._parse(match)
                        return
                left = deadline - time.monotonic()
                if left <= 0:
                    self._kill_now()
                    raise ServerError(f"servers.{self.name} printed no readiness line "
                                      f"within {timeout:g} s", self.output(), None)
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    code = self.proc.wait()
                    raise ServerError(f"servers.{self.name} exited with status {code} "
                                      "before it was ready", self.output(), code)
                self._buf += chunk

    def _parse(self, match: re.Match) -> None:
        if match["path"] is not None:
            self.path = match["path"]
            return
        self.host, self.port = match["host"], int(match["port"])

    def _drain_output(self) -> None:
        fd = self.proc.stdout.fileno()
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                with self._cond:
                    self._buf += chunk
                    self._cond.notify_all()
        except OSError:
            pass
        finally:
            with self._cond:
                self._eof = True
                self._cond.notify_all()

    # -- what a notebook uses ----------------------------------------------
    @property
    def address(self):
        """``(host, port)`` to connect to, or the Unix-domain socket path."""
        if self.path is not None:
            return self.path
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        return (host, self.port)

    @property
    def returncode(self) -> int | None:
        """Exit status once the process ended (negative = killed by that signal), else None."""
        return self.proc.poll()

    def is_running(self) -> bool:
        """True while the server process has not exited."""
        return self.proc.poll() is None

    def output(self) -> str:
        """Everything the server printed so far (stdout and stderr merged), as text."""
        with self._cond:
            return self._buf.decode(errors="replace")

    def wait_for(self, text: str, timeout: float = 5.0) -> str:
        """Wait until ``text`` appears in the output; return the output.

        Raises TimeoutError (with the output) after ``timeout`` seconds, or
        ServerError if the server exits without printing it.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                out = self._buf.decode(errors="replace")
                if text in out:
                    return out
                if self._eof:
                    raise ServerError(f"servers.{self.name} ended without printing {text!r}",
                                      out, self.proc.poll())
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"servers.{self.name} did not print {text!r} within "
                                       f"{timeout:g} s; output so far:\n{out}")
                self._cond.wait(left)

    def wait(self, timeout: float = 5.0) -> int:
        """Wait for the server to exit on its own; return its exit status.

        Raises subprocess.TimeoutExpired after ``timeout`` seconds (the server
        keeps running: call :meth:`stop`).
        """
        code = self.proc.wait(timeout)
        self._finish()
        return code

    def stop(self, grace: tuple[float, float, float] = STOP_GRACE) -> int:
        """Stop the server and reap it; return its exit status (0 = clean stop).

        Sends SIGINT (what Ctrl-C sends), waits up to ``grace[0]`` seconds,
        then SIGTERM (``grace[1]``), then SIGKILL (``grace[2]``).  Safe to
        call twice, and on a server that already exited.
        """
        for sig, seconds in zip((signal.SIGINT, signal.SIGTERM, signal.SIGKILL), grace):
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(seconds)
        code = self.proc.wait()
        self._finish()
        return code

    def _kill_now(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()

    def _finish(self) -> None:
        if self._drain is not None:
            self._drain.join(5.0)
        with contextlib.suppress(OSError):
            self.proc.stdout.close()
        with _registry_lock:
            if _registry.get(self.key) is self:
                del _registry[self.key]

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else f"exited {self.returncode}"
        where = self.path if self.path is not None else f"{self.host}:{self.port}"
        return f"<servers.{self.name} pid {self.pid} on {where}, {state}>"


def start(name: str, *args: str, host: str | None = "127.0.0.1", port: int | None = 0,
          key: str | None = None, timeout: float = START_TIMEOUT,
          env: dict[str, str] | None = None) -> ServerProcess:
    """Start ``python -m servers.NAME --host HOST --port PORT *args``; wait until ready.

    ``port=0`` (the default) lets the kernel choose a free port; read it back
    from ``.port`` / ``.address``.  Pass ``port=None`` to omit ``--host`` and
    ``--port`` (Unix-domain servers).  ``key`` (default ``name``) names the
    server in the registry: a running server with the same key is stopped
    first, so re-running a cell never leaves the old one behind; give a
    different key to run two copies of one module.  ``env`` adds environment
    variables.  Waits at most ``timeout`` seconds for the readiness line.

    Returns a running :class:`ServerProcess`.  Raises :class:`ServerError`
    (carrying the server's output) if it exits before it is ready or misses
    the deadline; the process is reaped either way.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"not a server module name: {name!r}")
    key = key or name
    with _registry_lock:
        previous = _registry.get(key)
    if previous is not None:
        previous.stop()
    argv = [sys.executable, "-m", f"servers.{name}"]
    if port is not None:
        argv += ["--host", host if host is not None else "127.0.0.1", "--port", str(port)]
    argv += [str(a) for a in args]
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env["PYTHONUNBUFFERED"] = "1"
    child_env["SERVERS_PARENT_PID"] = str(os.getpid())
    if threading.current_thread() is not threading.main_thread():
        child_env["SERVERS_PDEATHSIG"] = "0"  # PDEATHSIG would fire when *this thread* ends
    pythonpath = child_env.get("PYTHONPATH")
    child_env["PYTHONPATH"] = PACKAGE_ROOT + (os.pathsep + pythonpath if pythonpath else "")
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=child_env, close_fds=True)
    server = ServerProcess(name, key, argv, proc)
    try:
        server._await_ready(timeout)
    except BaseException:  # ServerError, or KeyboardInterrupt from an interrupted cell
        if proc.poll() is None:
            server._kill_now()
        with contextlib.suppress(OSError):
            proc.stdout.close()
        raise
    server._drain = threading.Thread(target=server._drain_output,
                                     name=f"drain-{name}-{proc.pid}", daemon=True)
    server._drain.start()
    with _registry_lock:
        _registry[key] = server
    return server


@contextlib.contextmanager
def running(name: str, *args: str, **opts) -> Iterator[ServerProcess]:
    """``with running(name, *args, **opts) as server:`` -- :func:`start`, then stop on exit.

    Same arguments as :func:`start`.  The server is stopped (and reaped) when
    the block ends, also when it ends with an exception.
    """
    server = start(name, *args, **opts)
    try:
        yield server
    finally:
        server.stop()


def servers_running() -> list[ServerProcess]:
    """The registered servers that are still running."""
    with _registry_lock:
        return [s for s in _registry.values() if s.is_running()]


def stop_all() -> None:
    """Stop every server started through this module (also run at exit)."""
    with _registry_lock:
        servers = list(_registry.values())
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


atexit.register(stop_all)


# -- small clients for demos ---------------------------------------------------
def connect(address, timeout: float = 5.0) -> socket.socket:
    """Connect a TCP (``(host, port)``) or Unix stream (path) client socket.

    ``timeout`` (seconds) applies to the connect and to every later
    ``recv``/``send`` on the returned socket (``socket.timeout`` =
    ``TimeoutError``).  Raises ConnectionRefusedError if nothing listens.
    """
    if isinstance(address, (str, bytes, os.PathLike)):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(address))
        except BaseException:
            sock.close()
            raise
        return sock
    return socket.create_connection(address, timeout=timeout)


def ask(address, data: bytes, timeout: float = 5.0, limit: int = 1 << 20) -> bytes:
    """Send ``data``, signal end-of-input, return everything until the server closes.

    The client half-closes (``shutdown(SHUT_WR)``) after sending, so a server
    reading until end-of-file sees it; then it reads until the server closes
    the connection.  At most ``limit`` bytes are returned.  Raises
    TimeoutError if the server is silent for ``timeout`` seconds, and
    ConnectionError (ConnectionResetError, BrokenPipeError) if the server
    resets the connection.
    """
    if isinstance(data, str):
        raise TypeError("ask() sends bytes, not str: use data.encode()")
    with connect(address, timeout) as sock:
        sock.sendall(data)
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError as exc:  # the server reset the connection before we half-closed
            if exc.errno != errno.ENOTCONN:
                raise
            raise ConnectionResetError(errno.ECONNRESET, "connection reset by the server") from exc
        chunks, size = [], 0
        while size < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks)[:limit]


def ask_udp(address, data: bytes, timeout: float = 5.0, bufsize: int = 65536) -> bytes:
    """Send one UDP datagram to ``(host, port)`` and return the one reply datagram.

    Raises TimeoutError if no reply comes within ``timeout`` seconds (UDP
    does not retransmit: a lost datagram is just silence).
    """
    family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, address)
        reply, _ = sock.recvfrom(bufsize)
    return reply


def lan_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (``None`` if it has none).

    Used to show the difference between binding ``127.0.0.1`` (reachable only
    through loopback) and ``''`` / ``0.0.0.0`` (reachable through every
    interface).
    """
    import psutil  # a workbook dependency; imported here to keep start() light

    for name, addrs in sorted(psutil.net_if_addrs().items()):
        for addr in addrs:
            if addr.family == socket.AF_INET and not addr.address.startswith("127."):
                return addr.address
    return None


def _ephemeral_range() -> tuple[int, int]:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = map(int, f.read().split())
        return low, high
    except (OSError, ValueError):
        return 32768, 65535  # Linux's usual range; macOS uses 49152-65535


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free now and lies *below* the ephemeral port range.

    For demos that stop a server and start it again on the same port: a port
    chosen with ``--port 0`` comes from the ephemeral range, so between the
    stop and the restart any program's outgoing connection may take it as its
    local port, and the restart fails with "Address already in use" for a
    reason that has nothing to do with the lesson.  Raises OSError if no port
    between 20000 and the start of the range is free.
    """
    import random

    low = _ephemeral_range()[0]
    candidates = list(range(20000, max(20001, low)))
    random.shuffle(candidates)
    for port in candidates[:200]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise OSError("no free port found below the ephemeral range")
