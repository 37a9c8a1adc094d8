"""The zygote: one pre-started jail that forks a sandbox per request.

Starting a sandbox the plain way (``unshare`` + ``python _jail.py`` + ``python
server.py``) costs two interpreter start-ups and the server's imports: 60 ms of
CPU before a student's ``clock`` server runs a line, 160 ms for an ``http.server``
one.  A grading starts 10 to 17 servers, so that start-up was most of its CPU.

This process starts once per grader process (:class:`graders.sandbox.Zygote`),
with the environment a server gets, and imports the jail and the standard
library modules the workbook's servers use.  Then, for each request it reads
from its control socket (a JSON object plus two file descriptors: the pipe for
the server's output and the jail's control socket), it forks:

``outer`` (the child; what ``unshare`` was)
    closes everything but the two descriptors, unshares new mount, network and
    PID namespaces (``unshare(2)``; not as root, in a new user namespace where
    it is root, as ``unshare --user --map-root-user``), makes every mount
    private and forks the jail; it waits for the jail and exits
    with it.  Killing it kills the jail (``PR_SET_PDEATHSIG``), and with the
    jail, process 1 of the namespace, everything in it.
``jail`` (process 1 of the new PID namespace)
    mounts its own ``/proc``, takes the request's environment and runs
    :func:`_jail.serve`, the same code as a jail started the plain way: it
    brings loopback up, masks the course's files, and forks the server.
``server``
    joins the cgroup, drops to the sandbox's uid and sets the rlimits as
    before; then, instead of ``exec python server.py``, it leaves the jail's
    code (:class:`_jail.BecomeServer`) and runs the student's file as
    ``__main__`` in this already-started interpreter (:func:`run_program`):
    ``sys.argv``, ``sys.path[0]``, ``__file__``, Python's default signal
    dispositions, tracebacks without our frames, and the normal interpreter
    exit (non-daemon threads joined, ``atexit``) are as under ``python FILE``.
    Other programs are exec'd.

What stays different from a fresh interpreter, knowingly: the preloaded modules
(:data:`ALLOWED` ones that some program graded by this zygote imports) are
already in ``sys.modules`` (importing them is instant), ``str`` hashes use
the zygote's seed (``random`` is re-seeded at fork by the standard library), and
``/proc/PID/cmdline`` shows this file.  ``GRADERS_ZYGOTE=off`` turns the zygote
off (every sandbox is started the plain way).

It replies to each request with the outer process's pid and a pidfd for it
(``pidfd_open(2)``), and exits when the grader closes the control socket.
Standard library only; started as ``python _zygote.py FD [MODULE,...]`` (FD: its
end of a ``SOCK_SEQPACKET`` socket pair; the modules to preload at once).
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import signal
import socket
import sys

import _jail  # beside this file: sys.path[0] is graders/sandbox/ until main() takes it out

# What the zygote may import before it forks: the modules the workbook's servers use (all four
# assignments, the layers' reference servers, the seed lectures' code, and the styles the mutation
# corpus covers: threads, fork, selectors, asyncio).  It imports BASE at start-up, and the rest of
# these that a request's program imports (the grader reads them from the program's import
# statements) before the first fork that needs them; nothing outside this list runs here.
ALLOWED = frozenset((
    "socket", "socketserver", "http.server", "http.client", "http", "threading", "selectors", "select",
    "datetime", "time", "random", "string", "json", "urllib.parse", "asyncio", "struct", "secrets", "re",
    "traceback", "logging", "argparse", "html", "io", "collections", "functools", "queue", "errno",
    "types", "email.utils", "mimetypes", "shutil", "tempfile", "signal", "sys", "os", "math", "itertools",
    "dataclasses", "enum", "typing", "contextlib", "pathlib", "textwrap", "codecs", "uuid", "hashlib",
))
BASE = ("socket", "threading", "selectors")

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
PR_SET_PDEATHSIG = 1

libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def outer(request: dict, out_fd: int, control_fd: int, zygote: int) -> None:
    """The sandbox's outer process; exits with the jail's exit code, or raises BecomeServer."""
    try:
        _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        if os.getppid() != zygote:
            os._exit(1)  # the zygote died before we asked to follow it
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        keep = sorted({0, 1, 2, out_fd, control_fd})
        for low, high in zip([-1, *keep], [*keep, 65536]):
            if low + 1 < high:  # closerange(n, n) would close everything from n on (close_range(2))
                os.closerange(low + 1, high)
        if request.get("userns"):  # not root: root of a new user namespace, as `unshare --map-root-user`
            uid, gid = os.geteuid(), os.getegid()
            _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID), "unshare")
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
        else:
            _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID), "unshare")
        _check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        jail = os.fork()
    except OSError as exc:
        os.write(out_fd, f"the sandbox could not start: {exc}\n".encode())
        os._exit(125)
    if jail == 0:
        become_jail(request, out_fd, control_fd)  # returns only in the server's process
        return
    os.close(out_fd)
    os.close(control_fd)
    while True:
        try:
            _, status = os.waitpid(jail, 0)
            break
        except ChildProcessError:
            os._exit(0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def become_jail(request: dict, out_fd: int, control_fd: int) -> None:
    """Process 1 of the sandbox's PID namespace: the jail (``_jail.serve``)."""
    try:
        # (getppid() is 0 here: the outer process is outside this PID namespace.)
        _check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.close(out_fd)
        _check(libc.mount(b"none", b"/proc", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /proc")
        _check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None), "mount proc")
        os.environ.clear()
        os.environ.update(request["env"])
    except OSError as exc:
        os.write(2, f"the sandbox could not start: {exc}\n".encode())
        os._exit(125)
    args = argparse.Namespace(
        control=None, control_fd=control_fd, workdir=request["workdir"], netns=True,
        limits=request.get("limits", ""), user_id=request.get("user_id"), group_id=request.get("group_id"),
        mounts=request.get("mounts", ""), cgroup=request.get("cgroup") or [], argv=request["argv"],
        inprocess=bool(request.get("inprocess")))
    _jail.serve(args)  # exits; only the server's process gets out, with BecomeServer


def serve(control: socket.socket) -> None:
    """Answer requests until the grader closes ``control``, then exit; raises BecomeServer in a server."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    me = os.getpid()
    import selectors
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj == wake_read:
                os.read(wake_read, 4096)
                _reap()
                continue
            try:
                data, fds, _flags, _addr = socket.recv_fds(control, 1 << 20, 4)
            except InterruptedError:
                continue
            if not data:
                os._exit(0)  # the grader has gone; nothing here needs finalizing
            try:
                request = json.loads(data)
                if request.get("cmd") == "usage":  # CPU seconds of the zygote and the sandboxes it reaped
                    for fd in fds:
                        os.close(fd)
                    _reap()
                    control.send(json.dumps({"ok": True, "cpu_seconds": _cpu()}).encode())
                    continue
                out_fd, control_fd = fds
                preload(request.get("preload", ()))
            except (ValueError, TypeError):
                for fd in fds:
                    os.close(fd)
                control.send(json.dumps({"ok": False, "message": "bad request"}).encode())
                continue
            gc.freeze()  # the children's collections leave the zygote's objects (and pages) alone
            pid = os.fork()
            if pid == 0:
                gc.enable()  # as in any interpreter (the zygote runs with it off: gc's advice for pre-fork servers)
                selector.close()
                os.close(wake_read)
                os.close(wake_write)
                control.close()
                outer(request, out_fd, control_fd, me)  # never returns: exits, or raises BecomeServer
            os.close(out_fd)
            os.close(control_fd)
            try:
                pidfd = os.pidfd_open(pid)
            except OSError as exc:  # Linux before 5.3, or a seccomp filter: the grader goes the plain way
                os.kill(pid, signal.SIGKILL)
                control.send(json.dumps({"ok": False, "broken": True, "message": f"pidfd_open: {exc}"}).encode())
                continue
            try:
                socket.send_fds(control, [json.dumps({"ok": True, "pid": pid}).encode()], [pidfd])
            finally:
                os.close(pidfd)


def preload(names) -> None:
    """Import the allowed ``names`` not imported yet (once: every later fork has them)."""
    for name in names:
        if name in ALLOWED and name not in sys.modules:
            try:
                __import__(name)
            except ImportError:
                pass


def _cpu() -> float:
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run_program(argv: list[str]) -> None:
    """Run ``python FILE`` (``argv``) in this process, as the interpreter would run it.

    Called at this module's top level, so that a ``SystemExit`` reaches the
    interpreter and it exits the usual way.  An uncaught exception is printed
    without this file's frames and exits with status 1, as ``python FILE`` does.
    """
    import builtins
    import time
    import types
    from importlib.machinery import SourceFileLoader
    path = os.path.abspath(argv[1])
    sys.argv[:] = argv[1:]
    for name in ("_jail", "_zygote"):
        sys.modules.pop(name, None)
    # What start-up does with the sandbox's own PYTHONPATH (the zygote started without one): its
    # directories go first on sys.path, and a sitecustomize there is imported (checks use one).
    extra = [os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[0:0] = extra
    if any(os.path.exists(os.path.join(p, "sitecustomize.py")) for p in extra):
        sys.modules.pop("sitecustomize", None)
        try:
            import sitecustomize  # noqa: F401
        except Exception:  # noqa: BLE001 - as site.execsitecustomize, which reports and goes on
            import traceback
            print("Error in sitecustomize; set PYTHONVERBOSE for traceback:", file=sys.stderr)
            traceback.print_exc()
    sys.path.insert(0, os.path.dirname(path))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)
    time.tzset()  # the environment is the sandbox's now (TZ)
    main = types.ModuleType("__main__")
    main.__file__ = path
    main.__cached__ = None
    main.__builtins__ = builtins
    main.__loader__ = SourceFileLoader("__main__", path)
    sys.modules["__main__"] = main
    try:
        with open(path, "rb") as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
        exec(code, main.__dict__)  # noqa: S102 - running the student's program is the point
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - as the interpreter reports it
        # Without this function's frame; a SyntaxError has none of the student's either.
        tb = None if isinstance(exc, SyntaxError) else exc.__traceback__.tb_next
        sys.excepthook(type(exc), exc.with_traceback(tb), tb)
        raise SystemExit(1) from None


def main() -> None:
    gc.disable()  # see serve(): objects made before a fork are frozen, and nothing here makes cycles
    control = socket.socket(fileno=int(sys.argv[1]))
    # graders/sandbox/ is no place for a student's program to import from (its modules would shadow theirs).
    del sys.path[0]
    preload([*BASE, *(sys.argv[2].split(",") if len(sys.argv) > 2 else ())])
    serve(control)


if __name__ == "__main__":
    try:
        main()
    except _jail.BecomeServer as become:
        program = become.argv
    else:
        sys.exit(0)
    run_program(program)  # outside the except block: the program's exceptions have no context
