"""Start a student's server and drive it with scripted clients.

:class:`Server` is one run of a student's server file in a :class:`Sandbox`;
:class:`Client` is one scripted TCP client connected to it.  Every operation
has a deadline (seconds) and is written to a shared :class:`Transcript`, which
is what a student sees in feedback: which client sent what, what came back,
and when.  Socket errors become :class:`~graders.checking.checks.Failure` with a
student-facing rationale, never a raw traceback.
"""

from __future__ import annotations

import selectors
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from graders.sandbox import watch
from graders.checking.results import Failure
from graders.sandbox import Limits, Sandbox, SandboxError

DEFAULT_TIMEOUT = 5.0  # seconds any single client operation may take
PATIENCE = watch.PATIENCE  # seconds a patient read may run past its timeout while the server is still busy
STUCK_LOOK = 0.05  # seconds between looks for a stuck server during a patient read (watch.Stuck)
BUSY_LOOK = watch.BUSY_LOOK  # seconds between looks at a busy server once a patient read's timeout passed
SHOW_BYTES = 200  # bytes of a message quoted in a transcript line


def show(data: bytes, limit: int = SHOW_BYTES) -> str:
    """A readable quote of ``data``: text where it decodes, escapes where not."""
    head = data[:limit]
    try:
        text = repr(head.decode("utf-8"))
    except UnicodeDecodeError:
        text = repr(head)
    more = f" ... (+{len(data) - limit} bytes)" if len(data) > limit else ""
    return f"{text}{more} ({len(data)} bytes)"


PREVIEW_CHARS = 40  # characters of a message quoted in a sequence diagram (graders.checking.diagram)

# What a transcript line is, for graders.checking.diagram: inferred from the words of its text.
KINDS = (("connected", "connect"), ("could not connect", "connect_failed"), ("sends ", "send"),
         ("receives ", "receive"), ("sees the server close", "peer_closed"),
         ("connection reset by the server", "reset"), ("closes the connection", "close"),
         ("aborts the connection", "abort"), ("waited ", "wait"))


def kind_of(who: str, what: str) -> str:
    """The kind of a transcript line: "server" for the server's lines, else one of KINDS or "note"."""
    if who == "server":
        return "server"
    kind = next((k for start, k in KINDS if what.startswith(start)), "note")
    if kind == "send" and (": only " in what or ": failed" in what):
        return "send_failed"
    return kind


def preview(data: bytes, limit: int = PREVIEW_CHARS) -> str:
    """A short quote of ``data`` for a diagram (an ellipsis when cut; the length is shown apart)."""
    head = data[:limit]
    try:
        text = repr(head.decode("utf-8"))
    except UnicodeDecodeError:
        text = repr(head)
    return text + ("…" if len(data) > limit else "")


@dataclass
class Line:
    seconds: float
    who: str
    what: str
    kind: str = "note"  # see kind_of
    size: int | None = None  # bytes sent or received
    preview: str | None = None  # a short quote of them

    def event(self) -> dict:
        """This line as a dict (seconds, who, what, kind, size, preview) for JSON and graders.checking.diagram."""
        return {"seconds": round(self.seconds, 4), "who": self.who, "what": self.what,
                "kind": self.kind, "size": self.size, "preview": self.preview}


class Transcript:
    """What happened between the clients and the server, in time order."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.lines: list[Line] = []
        self._lock = threading.Lock()

    def add(self, who: str, what: str, *, data: bytes | None = None) -> None:
        """Log ``what`` happened to ``who``; ``data`` is the bytes sent or received, if any."""
        line = Line(time.monotonic() - self.start, who, what, kind_of(who, what))
        if data is not None:
            line.size, line.preview = len(data), preview(data)
        with self._lock:
            self.lines.append(line)

    def events(self) -> list[dict]:
        """Every line as a dict (see :meth:`Line.event`), in time order."""
        with self._lock:
            return [line.event() for line in self.lines]

    def render(self) -> list[str]:
        width = max([len(line.who) for line in self.lines] + [6])
        return [f"{line.seconds:7.3f}s  {line.who:<{width}}  {line.what}" for line in self.lines]


class Server:
    """A student's server program running in a sandbox (a context manager).

    ``path`` is the student's file; it is copied into a fresh private
    directory and run there with this Python (``sys.executable``).
    """

    def __init__(self, path: Path, transcript: Transcript, *, limits: Limits | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.path = Path(path)
        self.transcript = transcript
        self.workdir = Path(tempfile.mkdtemp(prefix="graders-run-"))
        shutil.copy(self.path, self.workdir / self.path.name)
        self.sandbox = Sandbox([sys.executable, self.path.name], self.workdir, limits=limits, env=env)
        self.host: str | None = None
        self.port: int | None = None
        self.start_seconds = 0.0
        self.listen_seconds = 0.0
        self.clients: list[Client] = []
        # Fair partial credit (issue 21): True when the check that started this server judges the
        # exact form of its replies; other checks read them tolerantly (each assignment says how).
        self.exact = False

    def start(self, *, timeout: float = 20.0, port: int | None = None) -> "Server":
        """Start the server and wait until it listens on a TCP port.

        ``port`` is the port the spec names: preferred when the server listens
        on several.  Raises Failure when the server crashes or does not listen
        within ``timeout`` seconds.
        """
        began = time.monotonic()
        try:
            self.sandbox.start()
        except SandboxError as exc:
            raise RuntimeError(f"grader infrastructure failure: {exc}") from exc
        self.start_seconds = time.monotonic() - began  # the sandbox, until the program was exec'd
        self.transcript.add("server", f"started: python {self.path.name}")
        self.sandbox.wait_listening(timeout)
        self.listen_seconds = time.monotonic() - began - self.start_seconds  # exec'd until it listened
        if not self.sandbox.listening:
            code = self.sandbox.exit_code
            if code is not None:
                self.transcript.add("server", f"exited with status {code} before listening")
                raise Failure(
                    f"your server stopped (exit status {code}) before it listened on a port",
                    help=crash_help(self.output(settle=1.0)),
                )
            self.transcript.add("server", f"still not listening after {timeout:g} s")
            raise Failure(
                f"your server did not listen on any TCP port within {timeout:g} seconds",
                help="Create the server object (which binds and listens) before anything slow, "
                     "and make sure the `if __name__ == \"__main__\":` block calls main().",
            )
        choices = self.sandbox.listening
        host, self.port = next(((h, p) for h, p in choices if p == port), choices[0])
        self.host = "::1" if ":" in host else "127.0.0.1"
        self.transcript.add("server", f"listening on {host}:{self.port}")
        return self

    def client(self, name: str, *, timeout: float = DEFAULT_TIMEOUT) -> "Client":
        """Connect a new client called ``name``; raises Failure if the server refuses."""
        client = Client(self, name)
        self.clients.append(client)
        client.connect(timeout)
        return client

    def output(self, *, settle: float = 0.0) -> str:
        """Everything the server printed (stdout and stderr) so far (see Sandbox.output)."""
        return self.sandbox.output(settle=settle)

    def alive(self) -> bool:
        return self.sandbox.alive()

    def require_alive(self, doing: str) -> None:
        """Raise Failure when the server has exited (for example crashed ``doing`` something)."""
        if not self.alive():
            raise Failure(f"your server stopped (exit status {self.sandbox.exit_code}) {doing}",
                          help=crash_help(self.output(settle=1.0)))

    def address_not_to_blame(self, port: int, doing: str) -> bool:
        """After a client failed to connect to 127.0.0.1 ``port``: was the address right all the same?

        True (and the transcript says why) when the server was seen listening on 0.0.0.0 or
        127.0.0.1 at ``port``: then the failure is the server's (it stopped, or does not accept),
        and the checks of what it does judge that, not the check of its address.  Raises
        Failure (the crash, with its hint) when it has exited without such an address; False
        when it runs without one (then the address is to blame: ``::1``, a host name's address).
        """
        if any(host in ("0.0.0.0", "127.0.0.1") for host, p in self.sandbox.listening if p == port):
            state = "accepts no connection" if self.alive() else f"stopped (exit status {self.sandbox.exit_code})"
            self.transcript.add("grader", f"the server listens at 127.0.0.1 port {port} but {state} "
                                          f"{doing}: the checks of what it does judge that")
            return True
        self.require_alive(doing)
        return False

    def close(self) -> None:
        for client in self.clients:
            client.close(quiet=True)
        self.sandbox.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def crash_help(output: str) -> str:
    """A hint built from the last traceback in the server's output."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return "Run your server file in a terminal (python FILE) to see why it stops."
    last = lines[-1]
    if "NotImplementedError" in last:
        return "The answer cell still has the stub `raise NotImplementedError()`: replace it with your server."
    if "Address already in use" in last:
        return "Another server was already using the port. Stop old servers (Kernel > Restart) and retry."
    return f"Your server printed:\n{tail(output, 1500)}"


def tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


class Client:
    """One scripted TCP client of a :class:`Server`; every call has a deadline."""

    def __init__(self, server: Server, name: str) -> None:
        self.server = server
        self.name = name
        self.sock: socket.socket | None = None
        self.peer_closed = False
        self.received = b""

    def _log(self, what: str, *, data: bytes | None = None) -> None:
        self.server.transcript.add(self.name, what, data=data)

    def connect(self, timeout: float = DEFAULT_TIMEOUT) -> "Client":
        assert self.server.port is not None
        try:
            sock = self.server.sandbox.open_connection(self.server.host, self.server.port)
        except OSError as exc:
            self._log(f"could not connect: {exc.strerror or exc}")
            raise Failure(f"client {self.name} could not connect to your server: {exc.strerror or exc}",
                          help="Is your server still running and accepting connections?") from exc
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_WRITE)
            ready = sel.select(timeout)
        error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if ready else None
        if not ready or error:
            sock.close()
            why = "timed out" if not ready else socket.errno.errorcode.get(error, str(error))
            self._log(f"could not connect ({why})")
            raise Failure(f"client {self.name} could not connect to your server ({why})",
                          help="The server must keep listening and call accept() for every client.")
        self.sock = sock
        self._log(f"connected to port {self.server.port}")
        return self

    def send(self, data: bytes | str, *, timeout: float = DEFAULT_TIMEOUT) -> "Client":
        """Send all of ``data`` (str is UTF-8 encoded) within ``timeout`` seconds."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        assert self.sock is not None, "connect first"
        view = memoryview(data)
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(self.sock, selectors.EVENT_WRITE)
            while view:
                if not sel.select(max(deadline - time.monotonic(), 0)):
                    self._log(f"sends {show(data)}: only {len(data) - len(view)} bytes accepted in {timeout:g} s",
                              data=data)
                    raise Failure(f"client {self.name} could not send its message: your server is not reading it",
                                  help="Read what the client sends (rfile.read / recv) before doing anything slow.")
                try:
                    sent = self.sock.send(view)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    self._log(f"sends {show(data)}: failed ({exc.strerror or exc})", data=data)
                    raise Failure(f"your server closed the connection before client {self.name} could send "
                                  f"its message ({exc.strerror or exc})",
                                  help="Read the client's whole message before closing the connection.") from exc
                view = view[sent:]
        self._log(f"sends {show(data)}", data=data)
        return self

    def receive(self, size: int, *, timeout: float = DEFAULT_TIMEOUT, patient: bool = True) -> bytes:
        """Up to ``size`` bytes: returns when ``size`` bytes came, the server closed, or ``timeout`` passed.

        Never raises on a timeout: returns what came (maybe b"") and logs it;
        ``peer_closed`` tells whether the server closed the connection.
        ``patient`` (for bytes a correct server must send): past ``timeout``,
        go on waiting while the server is busy, up to :data:`PATIENCE` more
        seconds (a loaded machine may take long to schedule it); pass False
        for a window in which nothing may arrive.
        """
        return self._read(lambda got: len(got) >= size,
                          lambda got: self.sock.recv(min(size - len(got), 65536)),
                          timeout, "nothing more", patient)

    def _read(self, done, take, timeout: float, incomplete: str, patient: bool) -> bytes:
        """The receive loop of :meth:`receive` and :meth:`receive_until`.

        ``take(got)`` reads the next piece from the socket (b"" at EOF) until
        ``done(got)``, the server closes, or ``timeout`` seconds pass (longer
        while a ``patient`` read sees the server busy, :func:`watch.busy`);
        the result is logged (``incomplete`` says what a timeout left missing).
        """
        assert self.sock is not None, "connect first"
        got = bytearray()
        began = time.monotonic()
        deadline = began + timeout
        last_chance = deadline + (PATIENCE if patient else 0.0)
        timed_out = stuck = False
        # A patient read gives up early on a server that is stuck: asleep, with everything this
        # client sent read and nothing on its way (watch.Stuck): it cannot answer without more input.
        watcher = watch.Stuck(self.server, lambda: watch.settled(self.server, [self])) if patient else None
        with selectors.DefaultSelector() as sel:
            sel.register(self.sock, selectors.EVENT_READ)
            while not done(got) and not self.peer_closed:
                now = time.monotonic()
                if now >= deadline:
                    if now < last_chance and watch.busy(self.server):
                        deadline = now + BUSY_LOOK  # it may still answer: look again soon
                        continue
                    timed_out = True
                    break
                look = watcher is not None and watcher.visible
                if not sel.select(min(deadline - now, STUCK_LOOK) if look else deadline - now):
                    if look and watcher.look():
                        timed_out = stuck = True
                        break
                    continue
                try:
                    chunk = take(got)
                except BlockingIOError:
                    continue
                except OSError as exc:
                    self._log(f"connection reset by the server ({exc.strerror or exc})")
                    self.peer_closed = True
                    break
                if not chunk:
                    self.peer_closed = True
                    break
                got += chunk
        data = bytes(got)
        self.received += data
        if data:
            self._log(f"receives {show(data)}", data=data)
        if self.peer_closed:
            self._log("sees the server close the connection")
        elif stuck:
            self._log(f"waited {time.monotonic() - began:.3g} s: {incomplete if data else 'nothing'} came; "
                      f"the server is idle (it read everything and sent nothing for {watch.IDLE_GRACE:g} s)")
        elif timed_out:
            self._log(f"waited {time.monotonic() - began:.3g} s: {incomplete if data else 'nothing'} came")
        return data

    def receive_line(self, *, limit: int = 1 << 16, timeout: float = DEFAULT_TIMEOUT,
                     patient: bool = True) -> bytes:
        """One line: the bytes up to and including the first ``b"\\n"`` (see :meth:`receive_until`)."""
        return self.receive_until(b"\n", limit=limit, timeout=timeout, patient=patient)

    def receive_until(self, end: bytes, *, limit: int = 1 << 16, timeout: float = DEFAULT_TIMEOUT,
                      patient: bool = True) -> bytes:
        """The bytes up to and including the first ``end`` (at most ``limit`` bytes).

        Bytes after ``end`` stay unread (for the next call).  Returns early,
        without ``end``, when the server closes (``peer_closed``), ``limit``
        bytes came without it, or ``timeout`` seconds passed (``patient`` as
        in :meth:`receive`); never raises on a timeout.  Logged like :meth:`receive`.
        """
        assert end, "end must not be empty"

        def take(got: bytearray) -> bytes:
            peek = self.sock.recv(min(limit - len(got), 65536), socket.MSG_PEEK)
            at = (bytes(got[-(len(end) - 1):]) if len(end) > 1 else b"") + peek
            found = at.find(end)
            count = found + len(end) - (len(at) - len(peek)) if found >= 0 else len(peek)
            return self.sock.recv(count) if peek else b""

        return self._read(lambda got: got.endswith(end) or len(got) >= limit, take, timeout,
                          "no end of " + repr(end)[1:], patient)

    def receive_until_closed(self, *, limit: int = 1 << 20, timeout: float = DEFAULT_TIMEOUT,
                             patient: bool = True) -> bytes:
        """Everything until the server closes the connection (at most ``limit`` bytes; see :meth:`receive`)."""
        return self.receive(limit, timeout=timeout, patient=patient)

    def close(self, *, quiet: bool = False) -> None:
        """Close the connection normally (FIN)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None
            if not quiet:
                self._log("closes the connection")

    def abort(self) -> None:
        """Close the connection with a reset (RST), as a crashed client would."""
        if self.sock is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.sock.close()
            self.sock = None
            self._log("aborts the connection (reset)")

    def unread_by_server(self) -> int | None:
        """Bytes this client sent that the server has not read yet; None when that cannot be seen.

        The receive queue (``rx_queue``) of the server's end of this
        connection, from ``/proc/PID/net/tcp`` and ``tcp6`` (proc(5)) of a
        process in the server's network namespace (Linux; a process of the
        sandbox's cgroup, or this process in the fallback mode).  It lets a
        check wait for the event "the server has read what was sent" instead
        of a fixed time.
        """
        return watch.unread(self.server, self) if self.sock is not None else None
