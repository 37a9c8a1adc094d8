"""The jail: the supervisor that runs one student's server and nothing else.

This file runs as its own process, started by :mod:`graders.sandbox`, and uses
only the standard library (psutil is used in the fallback mode when present).

Where Linux namespaces are available the grader starts it as::

    unshare --net --pid --fork --kill-child [--user --map-root-user] -- \
        python -I _jail.py --control SOCK --workdir DIR --netns -- python server.py

so the jail is process 1 of a fresh PID namespace and owns a fresh network
namespace whose only interface is loopback.  Then:

* a hard-coded port (the seed's 12091) never collides with another grading,
  and TIME_WAIT left by an earlier grading is not seen (it lives in the old
  namespace, which is gone);
* a server reaches nothing but its own loopback;
* when the jail dies, the kernel kills every process left in the PID
  namespace, including daemons that double-forked and called ``setsid()``.

The grader talks to the jail over a Unix socket (JSON lines): the jail reports
``started``, ``listening`` and ``exited`` events, and answers ``connect``
requests by connecting a socket *inside the namespace* and passing its file
descriptor back (``SCM_RIGHTS``), so the grader's clients are real sockets
connected to the student's server over the namespace's loopback.

Without namespaces (macOS, containers without user namespaces) the same jail
runs in the host's network with the fallback described in docs/isolation.md.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import fcntl
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time

POLL_SECONDS = 0.002  # first listening-socket poll interval; it backs off to MAX_POLL_SECONDS
MAX_POLL_SECONDS = 0.05
IDLE_POLL_SECONDS = 0.1  # afterwards: new listeners are rare; exits wake us via SIGCHLD
TCP_LISTEN = "0A"


def bring_loopback_up() -> None:
    """Set IFF_UP on ``lo``: a new network namespace starts with it down."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, siocgifflags, ifreq))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_STATE_LISTEN = 10
ALL_TCP_STATES = 0xFFF
NO_COOKIE = 0xFFFFFFFF


class TcpSocket(tuple):
    """One TCP socket: ``(local, remote, state, tx, rx)``; addresses (host, port), state in hex as in
    ``/proc/net/tcp`` (``"0A"`` is LISTEN), queues in bytes (``rx`` of a listener: its accept backlog)."""


class SockDiag:
    """The TCP sockets of one network namespace, through ``NETLINK_SOCK_DIAG`` (sock_diag(7)).

    Reading ``/proc/net/tcp`` walks the kernel's whole table of established
    sockets, which every namespace shares and which is sized by memory (262,144
    buckets on a 24 GiB machine: 5 ms of CPU per read, and a jail polling it
    for its server's listening socket spent more CPU than the server).  Here
    :meth:`listening` walks only the (small) listening table, and :meth:`one`
    is a hash lookup of one connection.  A netlink socket stays in the
    namespace it was made in, wherever it is passed to (the jail passes one to
    the grader).  Not thread-safe: one request at a time.
    """

    def __init__(self, sock: socket.socket | None = None) -> None:
        self.sock = sock or socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG)
        self.sock.settimeout(10)
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def listening(self) -> set[tuple[str, int]]:
        """Every listening TCP socket of the namespace, as (host, port)."""
        return {row[0] for row in self.listening_rows()}

    def listening_rows(self) -> list[TcpSocket]:
        """Every listening TCP socket of the namespace (``rx``: its accept queue's length)."""
        return [row for family in (socket.AF_INET, socket.AF_INET6)
                for row in self._ask(family, 1 << TCP_STATE_LISTEN, NLM_F_REQUEST | NLM_F_DUMP)]

    def all(self) -> list[TcpSocket]:
        """Every TCP socket of the namespace (this one walks the established table: about 1 ms per family)."""
        return [row for family in (socket.AF_INET, socket.AF_INET6)
                for row in self._ask(family, ALL_TCP_STATES, NLM_F_REQUEST | NLM_F_DUMP)]

    def one(self, local: tuple[str, int], remote: tuple[str, int]) -> TcpSocket | None:
        """The socket whose local and remote addresses are these (a connection's one end), or None."""
        host = local[0][7:] if local[0].startswith("::ffff:") else local[0]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        far = remote[0][7:] if family == socket.AF_INET and remote[0].startswith("::ffff:") else remote[0]
        rows = self._ask(family, ALL_TCP_STATES, NLM_F_REQUEST, local[1], remote[1],
                         socket.inet_pton(family, host), socket.inet_pton(family, far))
        return rows[0] if rows else None

    def _ask(self, family: int, states: int, flags: int, sport: int = 0, dport: int = 0,
             src: bytes = b"", dst: bytes = b"") -> list[TcpSocket]:
        self.seq += 1
        body = (struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, states)
                + struct.pack("!HH", sport, dport) + src.ljust(16, b"\0") + dst.ljust(16, b"\0")
                + struct.pack("=III", 0, NO_COOKIE, NO_COOKIE))
        self.sock.send(struct.pack("=IHHII", 16 + len(body), SOCK_DIAG_BY_FAMILY, flags, self.seq, 0) + body)
        rows: list[TcpSocket] = []
        while True:
            data = self.sock.recv(1 << 16)
            offset = 0
            while offset + 16 <= len(data):
                length, kind, _flags, seq, _pid = struct.unpack_from("=IHHII", data, offset)
                if length < 16:
                    return rows
                if seq == self.seq:
                    if kind in (NLMSG_DONE, NLMSG_ERROR):  # the end of a dump; "no such socket"
                        return rows
                    if kind == SOCK_DIAG_BY_FAMILY:
                        rows.append(_diag_row(data, offset + 16))
                offset += (length + 3) & ~3
            if rows and not flags & NLM_F_DUMP:
                return rows  # a lookup's one answer has no NLMSG_DONE after it


def _diag_row(data: bytes, at: int) -> TcpSocket:
    """An ``inet_diag_msg`` (linux/inet_diag.h) as a TcpSocket."""
    family, state = data[at], data[at + 1]
    sport, dport = struct.unpack_from("!HH", data, at + 4)
    size = 4 if family == socket.AF_INET else 16
    src = socket.inet_ntop(family, data[at + 8:at + 8 + size])
    dst = socket.inet_ntop(family, data[at + 24:at + 24 + size])
    src, dst = (a[7:] if a.startswith("::ffff:") else a for a in (src, dst))
    rqueue, wqueue = struct.unpack_from("=II", data, at + 56)
    listen = state == TCP_STATE_LISTEN
    return TcpSocket(((src, sport), (dst, dport), f"{state:02X}", 0 if listen else wqueue, rqueue))


def _decode_address(hexaddr: str) -> tuple[str, int]:
    host_hex, port_hex = hexaddr.split(":")
    raw = bytes.fromhex(host_hex)
    if len(raw) == 4:
        host = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # /proc/net/tcp6 stores four little-endian 32-bit words
        words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
        host = socket.inet_ntop(socket.AF_INET6, b"".join(words))
    return host, int(port_hex, 16)


def listeners_in_namespace(diag: SockDiag | None = None) -> set[tuple[str, int]]:
    """Every listening TCP socket of this network namespace, as (host, port)."""
    if diag is not None:
        return diag.listening()
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == TCP_LISTEN:
                        found.add(_decode_address(fields[1]))
        except FileNotFoundError:
            continue
    return found


def listeners_of_tree(pid: int) -> set[tuple[str, int]]:
    """Fallback: the listening TCP sockets of a process and its descendants."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency
        return set()
    found = set()
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return found
    for proc in procs:
        try:
            conns = proc.net_connections(kind="tcp")
        except psutil.Error:
            continue
        for c in conns:
            if c.status == psutil.CONN_LISTEN:
                found.add((c.laddr.ip, c.laddr.port))
    return found


MS_BIND, MS_REC = 0x1000, 0x4000


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    enc = lambda v: v.encode() if v is not None else None  # noqa: E731
    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def set_up_mounts(plan: dict) -> None:
    """Hide what a student's server must not see (we are root of a private mount namespace).

    ``plan["mask"]``: [[DIR, [KEEP, ...]], ...]: an empty tmpfs is mounted over DIR
    and each KEEP path below it is bound back in place.  ``plan["bind"]``:
    [[SOURCE, TARGET], ...]: SOURCE bound over TARGET.  ``plan["null"]``: files
    replaced by /dev/null.
    """
    for directory, keep in plan.get("mask", []):
        if not os.path.isdir(directory):
            continue
        fds = [(path, os.open(path, os.O_PATH)) for path in keep if os.path.exists(path)]
        mode = os.stat(directory).st_mode & 0o7777 | 0o111
        _mount("tmpfs", directory, "tmpfs", 0, f"mode={mode:o},size=16m")
        for path, fd in fds:
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(path, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "a").close()
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
            os.close(fd)
    for source, target in plan.get("bind", []):
        if os.path.exists(source) and os.path.exists(target):
            _mount(source, target, None, MS_BIND | MS_REC, None)
    for path in plan.get("null", []):
        if os.path.isfile(path):
            _mount("/dev/null", path, None, MS_BIND, None)


def apply_limits(limits: dict) -> None:
    """Set resource limits in the child, just before exec (units: seconds, bytes)."""
    names = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "address_space_bytes": resource.RLIMIT_AS,
        "file_size_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
        "processes": resource.RLIMIT_NPROC,
        "core_bytes": resource.RLIMIT_CORE,
    }
    for key, which in names.items():
        if limits.get(key) is not None:
            value = int(limits[key])
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass


class BecomeServer(BaseException):
    """Raised in the server's process when the zygote runs the program in-process.

    It unwinds the jail's stack (nothing catches it) to the zygote's top level,
    which runs the student's file as ``__main__``.
    """

    def __init__(self, argv: list[str]) -> None:
        super().__init__(argv)
        self.argv = argv


class Jail:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.limits = json.loads(args.limits) if args.limits else {}
        if getattr(args, "control_fd", None) is not None:  # passed by the zygote
            self.control = socket.socket(fileno=args.control_fd)
        else:
            self.control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.control.connect(args.control)
        self.inbox = b""
        self.child: int | None = None
        self.reported: set[tuple[str, int]] = set()
        self.exit_reported = False
        self.diag: SockDiag | None = None

    def send(self, message: dict, fds: list[int] | None = None) -> None:
        data = (json.dumps(message) + "\n").encode()
        if fds:
            socket.send_fds(self.control, [data], fds)
        else:
            self.control.sendall(data)

    def start_child(self) -> None:
        argv = self.args.argv
        read_end, write_end = os.pipe()  # closes on exec: tells us exec worked
        os.set_inheritable(write_end, False)
        pid = os.fork()
        if pid == 0:  # the student's server
            try:
                os.close(read_end)
                os.setsid()
                os.chdir(self.args.workdir)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                self.control.close()  # (the object too: in-process, nothing may close its number later)
                if self.diag is not None:
                    self.diag.close()
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
                    signal.signal(sig, signal.SIG_DFL)
                for procs in self.args.cgroup or []:
                    with open(procs, "w") as f:
                        f.write(str(os.getpid()))
                if self.args.user_id is not None:
                    os.setgroups([])
                    os.setgid(self.args.group_id)
                    os.setuid(self.args.user_id)
                os.umask(0o077)
                apply_limits(self.limits)
                if not getattr(self.args, "inprocess", False):
                    os.execvpe(argv[0], argv, os.environ)
                os.close(devnull)
                os.close(write_end)  # no exec to close it: tells the jail the program started
            except BaseException as exc:  # noqa: BLE001 - report and die
                os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:500])
                os._exit(127)
            raise BecomeServer(argv)  # the zygote runs the program in this process (graders/sandbox/_zygote.py)
        os.close(write_end)
        failure = b""
        while chunk := os.read(read_end, 512):
            failure += chunk
        os.close(read_end)
        self.child = pid
        if failure:
            self.send({"event": "spawn_failed", "message": failure.decode(errors="replace")})
        else:
            # With a netlink socket of this network namespace for the grader's looks at its sockets
            # (its own: two readers of one netlink socket would take each other's answers).
            theirs = None
            if self.diag is not None:
                with contextlib.suppress(OSError):
                    theirs = SockDiag()
            self.send({"event": "started", "pid": pid, "diag": theirs is not None},
                      [theirs.sock.fileno()] if theirs is not None else None)
            if theirs is not None:
                theirs.close()

    def reap(self) -> None:
        """Collect every zombie (we may be process 1); report our child's exit."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.child and not self.exit_reported:
                self.exit_reported = True
                self.send({
                    "event": "exited",
                    "code": os.waitstatus_to_exitcode(status),
                })

    def poll_listeners(self) -> None:
        if self.child is None:
            return
        if self.args.netns:
            now = listeners_in_namespace(self.diag)
        else:
            now = listeners_of_tree(self.child)
        for host, port in sorted(now - self.reported):
            self.send({"event": "listening", "host": host, "port": port})
        self.reported |= now

    def handle(self, request: dict) -> None:
        if request.get("cmd") == "connect":
            host, port = request["host"], int(request["port"])
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setblocking(False)
            err = sock.connect_ex((host, port))
            if err not in (0, errno.EINPROGRESS):
                sock.close()
                self.send({"reply": "connect", "ok": False, "errno": err,
                           "message": os.strerror(err)})
                return
            self.send({"reply": "connect", "ok": True}, [sock.fileno()])
            sock.close()
        elif request.get("cmd") == "stop":
            raise SystemExit(0)

    def run(self) -> None:
        if self.args.netns:
            bring_loopback_up()
            with contextlib.suppress(OSError):  # then /proc/net/tcp, the slow way
                self.diag = SockDiag()
        if self.args.mounts:
            try:
                set_up_mounts(json.loads(self.args.mounts))
            except OSError as exc:
                self.send({"event": "spawn_failed", "message": f"sandbox mounts: {exc}"})
                return
        self.start_child()
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        os.set_blocking(wake_read, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ)
        selector.register(wake_read, selectors.EVENT_READ)
        polls = 0
        while True:
            self.reap()
            self.poll_listeners()
            polls += 1
            interval = IDLE_POLL_SECONDS if self.reported else min(MAX_POLL_SECONDS, POLL_SECONDS * 1.2 ** polls)
            for key, _ in selector.select(interval):
                if key.fileobj == wake_read:
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_read, 4096)
                    continue
                try:
                    data = self.control.recv(65536)
                except ConnectionResetError:  # the grader closed with our reports unread
                    data = b""
                if not data:
                    return  # the grader has gone: so do we, and all we started
                self.inbox += data
                while b"\n" in self.inbox:
                    line, self.inbox = self.inbox.split(b"\n", 1)
                    self.handle(json.loads(line))

    def kill_everything(self) -> None:
        """Fallback clean-up; in a PID namespace the kernel does this for us."""
        if self.child is None:
            return
        try:
            os.killpg(self.child, signal.SIGKILL)
        except OSError:
            pass
        token = os.environ.get("GRADERS_SANDBOX_ID")
        if token and not self.args.netns:  # in a PID namespace, the kernel kills the rest when we exit
            try:
                import psutil
            except ImportError:  # pragma: no cover
                return
            for proc in psutil.process_iter():
                try:
                    if proc.pid != os.getpid() and proc.environ().get("GRADERS_SANDBOX_ID") == token:
                        proc.kill()
                except psutil.Error:
                    continue


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--control", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--netns", action="store_true")
    parser.add_argument("--limits", default="")
    parser.add_argument("--user-id", type=int)
    parser.add_argument("--group-id", type=int)
    parser.add_argument("--mounts", default="", help="JSON plan for set_up_mounts()")
    parser.add_argument("--cgroup", action="append", help="a cgroup.procs file to join")
    parser.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.argv and args.argv[0] == "--":
        args.argv = args.argv[1:]
    return args


def serve(args: argparse.Namespace) -> None:
    """Be the jail for ``args`` until the grader goes; then exit (``os._exit``), never return.

    Only :class:`BecomeServer` (raised in the server's own process, in-process
    mode) leaves this function.
    """
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    jail = None
    try:
        jail = Jail(args)
        jail.run()
    except BecomeServer:
        raise
    except (SystemExit, KeyboardInterrupt):
        pass
    except BaseException:  # noqa: BLE001 - a bug of ours: say so, and still clean up
        import traceback
        traceback.print_exc()
    if jail is not None:
        jail.kill_everything()
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    serve(parse_args(argv))


if __name__ == "__main__":
    main()
