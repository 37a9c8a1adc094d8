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


def _decode_address(hexaddr: str) -> tuple[str, int]:
    host_hex, port_hex = hexaddr.split(":")
    raw = bytes.fromhex(host_hex)
    if len(raw) == 4:
        host = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # /proc/net/tcp6 stores four little-endian 32-bit words
        words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]
        host = socket.inet_ntop(socket.AF_INET6, b"".join(words))
    return host, int(port_hex, 16)


def listeners_in_namespace() -> set[tuple[str, int]]:
    """Every listening TCP socket of this network namespace, as (host, port)."""
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


class Jail:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.limits = json.loads(args.limits) if args.limits else {}
        self.control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.control.connect(args.control)
        self.inbox = b""
        self.child: int | None = None
        self.reported: set[tuple[str, int]] = set()
        self.exit_reported = False

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
                os.close(self.control.fileno())
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
                os.execvpe(argv[0], argv, os.environ)
            except BaseException as exc:  # noqa: BLE001 - report and die
                os.write(write_end, f"{type(exc).__name__}: {exc}".encode()[:500])
                os._exit(127)
        os.close(write_end)
        failure = b""
        while chunk := os.read(read_end, 512):
            failure += chunk
        os.close(read_end)
        self.child = pid
        if failure:
            self.send({"event": "spawn_failed", "message": failure.decode(errors="replace")})
        else:
            self.send({"event": "started", "pid": pid})

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
            now = listeners_in_namespace()
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
                data = self.control.recv(65536)
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
        if token:
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


def main(argv: list[str] | None = None) -> None:
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
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    jail = Jail(args)
    try:
        jail.run()
    except (SystemExit, KeyboardInterrupt, OSError):
        pass
    finally:
        jail.kill_everything()
        deadline = time.monotonic() + 1
        while time.monotonic() < deadline:
            try:
                os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
        os._exit(0)


if __name__ == "__main__":
    main()
