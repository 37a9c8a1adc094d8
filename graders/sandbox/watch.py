"""Watching a sandboxed server from outside: its sockets and its threads, through /proc.

A check often has to know what the server has *done*, not just what came
back: has it read the bytes a client sent, has it accepted every connection,
has it nothing left to do?  Waiting a fixed time for such things fails
correct servers on a loaded machine and passes buggy ones by luck, so the
grader looks instead:

* **Sockets.**  ``/proc/PID/net/tcp`` and ``tcp6`` (proc(5)) of a process in
  the server's network namespace list every TCP socket there with its state
  and its send and receive queues (:func:`tcp_table`).  An empty receive
  queue on the server's end of a connection means the server has read all
  the client sent (:func:`unread`).
* **Threads.**  ``/proc/PID/task/TID/stat`` gives each thread's state.  A
  server all of whose threads sleep (``S``, not blocked writing to its output
  pipe) can only act on new input or a timer (:func:`threads`).  A server
  with a running or runnable thread is *busy*: it may still answer, however
  long a loaded machine takes to schedule it (:func:`busy`).
* **Patience** (:func:`wait_for`): a wait for something a correct server must
  do (read what was sent, answer) goes on past its timeout, up to
  :data:`PATIENCE` seconds more, while the server is busy.  A correct server
  on a saturated machine is not failed for being scheduled late; a server
  that sleeps or waits for input gets only the timeout.
* **Idle** (:func:`wait_idle`): settled sockets (every byte read, every byte
  delivered) and sleeping threads whose context-switch counts did not change
  between two looks.
* **Stuck** (:class:`Stuck`): a wait for what a server must do gives up early
  once the server has stayed asleep for :data:`IDLE_GRACE` seconds, look after
  look: every thread sleeps, none in a timed sleep (``nanosleep``: a timer will
  wake it) or writing to its output, and (for a reply) the client's connection
  is settled: the server read everything and sent nothing.  Such a server can
  only act on new input, which the waiting check will not send: a hang fails in
  about a second instead of a whole timeout.  A loaded machine cannot fake it
  (a thread woken by data is runnable, R, until it runs), so a correct server
  under load is never given up on; a look that cannot see gives up nothing.

Everything here returns "unknown" (None or False) where it cannot see: no
``/proc`` (not Linux), or the fallback mode without a cgroup.  Callers then
fall back to windows of time.  The jail (``_jail.py``, run with ``python -I``)
keeps its own copy of the address decoding: it cannot import this package.

Sources: proc(5) (``/proc/net/tcp``, ``/proc/PID/task``, ``stat``,
``wchan``); the TCP state numbers of the Linux kernel's ``include/net/tcp_states.h``.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from typing import NamedTuple

IDLE_GRACE = 1.0  # seconds a server must look stuck, without a break, before a wait for it gives up
PATIENCE = 15.0  # seconds a wait for what a correct server must do may run on while the server is busy
BUSY_LOOK = 0.05  # seconds between looks at a busy server once such a wait's timeout has passed
MAX_LOOK = 0.02  # seconds between looks, at most, while waiting for an event (watch.backoff)

LISTEN, ESTABLISHED, SYN_RECV, CLOSE_WAIT = "0A", "01", "03", "08"
GONE_STATES = ("06", "07")  # TIME_WAIT, CLOSE: nothing left to read or deliver


class Row(NamedTuple):
    """One TCP socket of ``/proc/net/tcp``: addresses are (host, port); queues in bytes; state in hex."""
    local: tuple[str, int]
    remote: tuple[str, int]
    state: str
    tx: int
    rx: int


def decode_address(hexaddr: str) -> tuple[str, int]:
    """``0100007F:2F5B`` -> ``("127.0.0.1", 12123)`` (IPv4 or IPv6, proc(5)'s little-endian words)."""
    host_hex, port_hex = hexaddr.split(":")
    raw = bytes.fromhex(host_hex)
    if len(raw) == 4:
        host = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:
        host = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
        if host.startswith("::ffff:"):
            host = host[7:]
    return host, int(port_hex, 16)


def netns_pid(server) -> int | None:
    """A host pid in the server's network namespace (``unshare``, or this process in the fallback mode)."""
    if not sys.platform.startswith("linux"):
        return None
    sandbox = server.sandbox
    if sandbox.mode != "namespaces":
        return os.getpid()
    return sandbox.host_pid


def _ask_diag(server, question):
    """``question(diag)`` on the sandbox's netlink socket (graders.sandbox._jail.SockDiag); ``...`` when there is none."""
    sandbox = server.sandbox
    with sandbox.diag_lock:
        if sandbox.diag is None:
            return ...
        try:
            return question(sandbox.diag)
        except OSError:
            return ...


def tcp_table(server) -> list[Row]:
    """Every TCP socket of the server's network namespace (empty when it cannot be read)."""
    found = _ask_diag(server, lambda diag: [Row(*row) for row in diag.all()])
    if found is not ...:
        return found
    pid = netns_pid(server)
    if pid is None:
        return []
    rows = []
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for text in f:
                    fields = text.split()
                    tx, rx = (int(x, 16) for x in fields[4].split(":"))
                    rows.append(Row(decode_address(fields[1]), decode_address(fields[2]), fields[3], tx, rx))
        except (OSError, StopIteration, ValueError, IndexError):
            continue
    return rows


def _port(client) -> int | None:
    try:
        return client.sock.getsockname()[1] if client.sock is not None else None
    except OSError:
        return None


def connection_end(server, port: int, *, server_side: bool = True) -> Row | None:
    """One end of the connection between a client's ``port`` and the server (its server end by default).

    A lookup of that one socket where the sandbox has a netlink socket (a hash
    lookup in the kernel); otherwise a search of :func:`tcp_table`.  None when
    no such socket is seen; TIME_WAIT and CLOSE ends are returned too.
    """
    host = server.host or "127.0.0.1"
    ends = ((host, server.port), (host, port))
    local, remote = ends if server_side else ends[::-1]
    found = _ask_diag(server, lambda diag: diag.one(local, remote))
    if found is not ...:
        row = Row(*found) if found is not None else None
        # A lookup that finds no connection answers with the listening socket: not an end.
        return row if row is not None and row.remote[1] == remote[1] and row.state != LISTEN else None
    return next((row for row in tcp_table(server)
                 if row.local[1] == local[1] and row.remote[1] == remote[1] and row.state != LISTEN), None)


def listen_backlog(server) -> int | None:
    """Connections waiting in the server's accept queue (on its port), or None when it cannot be seen."""
    rows = _ask_diag(server, lambda diag: diag.listening_rows())
    if rows is ...:
        if netns_pid(server) is None:
            return None
        rows = tcp_table(server)
    return sum(row[4] for row in rows if row[2] == LISTEN and row[0][1] == server.port)


def server_end(server, client) -> Row | None:
    """The row of the server's end of ``client``'s connection, or None (not seen, or closed)."""
    mine = _port(client)
    if mine is None:
        return None
    row = connection_end(server, mine)
    return row if row is not None and row.state not in GONE_STATES else None


def unread(server, client) -> int | None:
    """Bytes ``client`` sent that the server has not read yet (None when that cannot be seen)."""
    row = server_end(server, client)
    return row.rx if row is not None else None


def server_pids(server) -> list[int] | None:
    """Host pids of every process of the student's server; None where they cannot be seen."""
    sandbox = server.sandbox
    if not sys.platform.startswith("linux") or sandbox.host_pid is None:
        return None
    if sandbox.cgroup is not None and sandbox.cgroup.dirs:
        return sorted(sandbox.cgroup.pids())
    if sandbox.pid is None:
        return None
    import psutil
    try:
        root = psutil.Process(sandbox.host_pid)
        if sandbox.mode == "namespaces":  # unshare -> jail -> the server (its pid is the namespace's)
            kids = root.children()
            root = kids[0] if kids else None
        return sorted(p.pid for p in root.children(recursive=True)) if root is not None else []
    except psutil.Error:
        return []


@contextlib.contextmanager
def hold(server, timeout: float = 2.0):
    """Hold the student's server up for the ``with`` block: every process of it frozen, then thawed.

    It models a machine that has not yet scheduled the server: what clients do meanwhile
    (a request and then a reset, a line and another client's reset) reaches its sockets
    all together, and the server finds it all when it runs again, as it can on a loaded
    machine.  The sandbox's cgroup freezer (:meth:`graders.sandbox.cgroups.Cgroup.freeze`;
    no signal, so no SIGCHLD either).  Yields True when the server was frozen; False where
    it cannot be (no freezer: the fallback mode, another OS): the block runs all the same.
    """
    cgroup = server.sandbox.cgroup
    frozen = cgroup is not None and cgroup.freeze(timeout)
    try:
        yield frozen
    finally:
        if frozen:
            cgroup.thaw()


def threads(pids: list[int], *, output_throttled: bool = False) -> dict[int, int] | None:
    """{thread id: context switches} when every thread of ``pids`` sleeps; None when one is busy.

    Busy: running or runnable (R), in disk sleep (D), stopped, or writing to a
    full pipe (its output, which the grader drains).  Zombies are dead.  With
    ``output_throttled`` (the server printed more than the grader keeps, and its
    output is now read slowly: graders.sandbox.runner.OUTPUT_PAUSE), a thread
    writing to a full pipe is left out instead: it waits for the grader, and a
    server that prints without pause would otherwise never be idle.
    """
    found: dict[int, int] = {}
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue  # gone
        for tid in tids:
            base = f"/proc/{pid}/task/{tid}"
            try:
                with open(f"{base}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                if state in ("Z", "X"):
                    continue
                if state != "S":
                    return None
                with open(f"{base}/wchan") as f:
                    wchan = f.read()
                if "pipe" in wchan:
                    if output_throttled:
                        continue
                    return None
                with open(f"{base}/status") as f:
                    switches = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
            except (OSError, IndexError, ValueError):
                continue  # the thread ended meanwhile
            found[int(tid)] = switches
    return found


def asleep(pids: list[int]) -> bool:
    """True when every thread of ``pids`` sleeps (S) and none is in a timed sleep or writing to a pipe.

    False when one runs or is runnable, sleeps on a timer (``nanosleep``: it
    will wake by itself) or waits on its output pipe, or when nothing can be
    seen (no thread found).
    """
    seen = False
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            base = f"/proc/{pid}/task/{tid}"
            try:
                with open(f"{base}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                if state in ("Z", "X"):
                    continue
                if state != "S":
                    return False
                with open(f"{base}/wchan") as f:
                    wchan = f.read()
            except (OSError, IndexError):
                continue
            if "pipe" in wchan or "nanosleep" in wchan:
                return False  # writing its output, or on a timer ("0": a wait the kernel does not name)
            seen = True
    return seen


class Stuck:
    """Whether a server has looked stuck for :data:`IDLE_GRACE` seconds without a break.

    ``settled()`` (optional) is the rest of the condition, e.g. the client's
    connection has nothing unread or in flight (:func:`settled`).  Call
    :meth:`look` between waits; it is True once the server has been asleep
    (:func:`asleep`) and ``settled()`` at every look for IDLE_GRACE seconds.
    """

    def __init__(self, server, settled=None, grace: float | None = None) -> None:
        self.server = server
        self.settled = settled
        self.grace = IDLE_GRACE if grace is None else grace
        self.since: float | None = None
        self.visible = server is not None and netns_pid(server) is not None

    def look(self) -> bool:
        if not self.visible:
            return False
        pids = server_pids(self.server)
        quiet = bool(pids) and asleep(pids) and (self.settled is None or self.settled())
        now = time.monotonic()
        if not quiet:
            self.since = None
            return False
        if self.since is None:
            self.since = now
        return now - self.since >= self.grace


def busy(server) -> bool:
    """True when a thread of the server runs or waits to run (it may still answer); False otherwise or unknown."""
    pids = server_pids(server)
    return bool(pids) and threads(pids, output_throttled=output_throttled(server)) is None


def output_throttled(server) -> bool:
    """Whether the server's output is read slowly now (see :func:`threads`)."""
    return bool(getattr(server.sandbox, "output_throttled", False))


def settled(server, clients) -> bool:
    """Every byte each of ``clients`` sent has been read by the server, every byte it sent delivered."""
    pid = netns_pid(server)
    if pid is None:
        return False
    for client in clients:
        mine = _port(client)
        if mine is None:
            continue
        client_side = connection_end(server, mine, server_side=False)
        server_side = connection_end(server, mine)
        client_side, server_side = (None if row is None or row.state in GONE_STATES else row
                                    for row in (client_side, server_side))
        if client_side is None or client_side.state == CLOSE_WAIT:
            continue  # reset, or the server closed: everything it sent is in
        if client_side.tx or server_side is None or server_side.state == SYN_RECV or server_side.tx \
                or server_side.rx:
            return False  # bytes unacknowledged or unread, or the handshake not done
    return True


def wait_idle(server, clients=(), *, timeout: float) -> bool:
    """Wait until the server has done all it will do with what ``clients`` sent.

    True once it is idle (every socket of ``clients`` settled, every thread
    asleep with the same context-switch counts across two looks) or gone;
    False when ``timeout`` seconds passed first or this cannot be seen here.
    """
    if netns_pid(server) is None or server_pids(server) is None:
        return False
    deadline = time.monotonic() + timeout
    pauses = backoff()
    while True:
        pids = server_pids(server)
        if pids is None:
            return False
        throttled = output_throttled(server)
        before = threads(pids, output_throttled=throttled)
        if before is not None:  # a second look after the queues: no thread ran in between
            if settled(server, clients) and threads(pids, output_throttled=throttled) == before \
                    and server_pids(server) == pids:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(next(pauses))  # polling /proc: the kernel has no event for "the process sleeps"


def backoff(first: float = 0.002, longest: float = MAX_LOOK):
    """Pauses between looks (seconds): ``first``, then half as long again each time, up to ``longest``.

    Most events come within milliseconds; a long wait (a server that is slow, or never
    does it) then costs a look every ``longest`` seconds, not a core's worth of /proc reads.
    """
    pause = first
    while True:
        yield pause
        pause = min(pause * 1.5, max(longest, first))


def wait_for(condition, timeout: float, server=None, *, interval: float = 0.002,
             stuck: bool = False) -> bool:
    """Poll ``condition()`` until it is true (True) or ``timeout`` seconds pass (False).

    The looks start ``interval`` seconds apart and back off (:func:`backoff`).

    With ``server``, the wait goes on past ``timeout`` while the server is
    :func:`busy`, up to :data:`PATIENCE` seconds more.  With ``stuck`` too,
    it gives up (False) as soon as the server has been asleep for
    :data:`IDLE_GRACE` seconds (:class:`Stuck`): for a condition only the
    server can make true (it reads what was sent, it answers).
    """
    deadline = time.monotonic() + timeout
    last_chance = deadline + (PATIENCE if server is not None else 0.0)
    pauses = backoff(interval)
    watcher = Stuck(server) if stuck and server is not None else None
    while True:
        if condition():
            return True
        if watcher is not None and watcher.look():
            return False
        now = time.monotonic()
        if now >= deadline:
            if now < last_chance and busy(server):
                deadline = now + BUSY_LOOK
            else:
                return False
        time.sleep(next(pauses))
