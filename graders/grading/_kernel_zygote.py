"""The kernel zygote: an IPython kernel's imports, done once, forked for every notebook.

An autograded notebook needs a fresh IPython kernel, and a kernel's start-up is
mostly imports (ipykernel, IPython, zmq, tornado, debugpy): about 1 s of CPU of
the 1.3 s a whole kernel costs, paid once per submission.  This process pays them
once per grading process (:class:`graders.grading.kernels.KernelZygote`).  For each
request it reads from its control socket (a JSON object plus four file
descriptors: the kernel's stdin, stdout and stderr, and a pipe for its exit
status) it forks a child that becomes what ``python -m ipykernel_launcher -f
CONNECTION_FILE`` would have been:

* a new session (the kernel's process group, which an interrupt signals);
* every other descriptor closed; the request's working directory and environment;
* under the root grader, the same jail as ``_kernel_jail.py`` (a private mount
  namespace that masks the course, the kernel's cgroups and rlimits, the
  sandbox uid): :func:`_kernel_jail.enter`, the same code;
* Python's default signal dispositions, then ``ipykernel_launcher`` run as
  ``__main__`` (``runpy``) at this module's top level, so that the kernel leaves
  through the interpreter's normal exit (non-daemon threads joined, ``atexit``).

The kernel's parent is this zygote, so its ``JPY_PARENT_PID`` (ipykernel's
parent poller) is the zygote's pid; the zygote dies with the grading process
(``PR_SET_PDEATHSIG``) and every kernel with the zygote.  The zygote reaps its
kernels and writes each one's exit status (``waitstatus_to_exitcode``, as text)
into that kernel's status pipe.  It replies to a request with the kernel's pid
and a pidfd for it, to ``{"cmd": "usage"}`` with its CPU seconds and those of
the kernels it reaped, and exits when the grader closes the control socket.

What stays different from a fresh interpreter, knowingly: the kernel's modules
are already imported, ``str`` hashes use the zygote's seed, and
``/proc/PID/cmdline`` shows this file.  ``GRADERS_ZYGOTE=off`` starts every
kernel the plain way.  Started as ``python _kernel_zygote.py FD LISTENER`` (FD: its end of
a ``SOCK_SEQPACKET`` socket pair) and LISTENER (a listening ``SOCK_SEQPACKET`` socket, bound
in a folder only the grader's user can enter): a batch's local workers connect there, so that
one zygote serves them all; the kernels of a worker that goes are killed.
"""
from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import socket
import sys

import _kernel_jail  # beside this file: sys.path[0] is graders/grading/ until main() takes it out

# What a kernel imports before it runs a cell (measured: sys.modules of a kernel that has answered
# kernel_info), minus the workbook's own modules: importing them here is what saves the time.
PRELOAD = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
    "ipykernel.comm", "IPython.core.debugger", "IPython.core.oinspect", "IPython.core.completerlib",
    "IPython.extensions.storemagic", "tornado.platform.asyncio", "tornado.queues", "sqlite3", "pdb",
    "psutil",  # jupyter_client looks up the local addresses (in the kernel's own network) with it
)
PR_SET_PDEATHSIG = 1
SET_BY_IMPORTS: dict[str, str] = {}  # what the imports put in os.environ (debugpy does); a kernel gets it too
libc = ctypes.CDLL(None, use_errno=True)


class BecomeKernel(Exception):  # noqa: N818 - not an error: the forked child leaves serve() with it
    def __init__(self, argv: list[str], cwd: str) -> None:
        super().__init__()
        self.argv, self.cwd = argv, cwd


def child(request: dict, fds: list[int], zygote: int) -> BecomeKernel:
    """In the forked child: set up the kernel's process; returns what to run (exits on failure)."""
    stdin, stdout, stderr, status = fds
    try:
        os.setsid()
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
        os.closerange(3, 65536)  # the control socket, the status pipes, what imports opened
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != zygote:
            os._exit(1)  # the zygote died before we asked to follow it
        env = {**request["env"], **SET_BY_IMPORTS, "JPY_PARENT_PID": str(zygote)}
        argv = list(request["argv"])
        os.chdir(request["cwd"])
        if request.get("jail"):
            env.update(_kernel_jail.enter(request["jail"], argv))
        os.environ.clear()
        os.environ.update(env)
    except OSError as exc:
        os.write(2, f"the kernel could not start: {exc}\n".encode())
        os._exit(125)
    return BecomeKernel(argv, request["cwd"])


def serve(control: socket.socket, listener: socket.socket | None = None) -> None:
    """Answer requests until the grader closes ``control``; raises BecomeKernel in a forked kernel.

    With ``listener`` (a batch's shared zygote), also answers the connections
    its workers make there; when one closes (its worker has gone), the kernels
    it asked for are killed.
    """
    import selectors
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    me = os.getpid()
    statuses: dict[int, int] = {}  # kernel pid -> its status pipe's write end
    owners: dict[int, socket.socket] = {}  # kernel pid -> the connection that asked for it
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    if listener is not None:
        selector.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj == wake_read:
                os.read(wake_read, 4096)
                _reap(statuses)
                for pid in [pid for pid in owners if pid not in statuses]:
                    del owners[pid]
                continue
            if key.fileobj is listener:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    continue
                selector.register(connection, selectors.EVENT_READ)
                continue
            sock = key.fileobj
            try:
                data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 4)
            except InterruptedError:
                continue
            except OSError:
                data, fds = b"", []
            if not data:
                if sock is control:
                    os._exit(0)  # the grader has gone (its kernels die with us)
                selector.unregister(sock)  # a worker has gone: so do the kernels it left
                for pid in [pid for pid, owner in owners.items() if owner is sock]:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass
                    del owners[pid]
                sock.close()
                continue
            try:
                request = json.loads(data)
                if request.get("cmd") == "usage":
                    _reap(statuses)
                    reply = {"ok": True, "cpu_seconds": _cpu()}
                elif len(fds) != 4:
                    reply = {"ok": False, "message": "bad request"}
                else:
                    reply = None
            except (ValueError, TypeError):
                reply = {"ok": False, "message": "bad request"}
            if reply is not None:
                for fd in fds:
                    os.close(fd)
                sock.send(json.dumps(reply).encode())
                continue
            gc.freeze()
            pid = os.fork()
            if pid == 0:
                gc.enable()
                selector.close()
                signal.set_wakeup_fd(-1)
                raise child(request, fds, me)
            for fd in fds[:3]:
                os.close(fd)
            statuses[pid] = fds[3]
            owners[pid] = sock
            try:
                pidfd = os.pidfd_open(pid)
            except OSError as exc:  # Linux before 5.3, or a seccomp filter: the grader goes the plain way
                os.kill(pid, signal.SIGKILL)
                sock.send(json.dumps({"ok": False, "broken": True, "message": f"pidfd_open: {exc}"}).encode())
                continue
            try:
                socket.send_fds(sock, [json.dumps({"ok": True, "pid": pid}).encode()], [pidfd])
            except OSError:
                pass  # the worker has gone; its connection's EOF comes next
            finally:
                os.close(pidfd)


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fd = statuses.pop(pid, None)
        if fd is not None:
            try:
                os.write(fd, str(os.waitstatus_to_exitcode(status)).encode())
            except OSError:
                pass  # the grader stopped listening
            os.close(fd)


def _cpu() -> float:
    import resource
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_kernel(become: BecomeKernel) -> None:
    """``python -m ipykernel_launcher ARGV`` in this process, from the request's directory."""
    import runpy
    import time
    for name in ("_kernel_jail", "_kernel_zygote", "_jail"):
        sys.modules.pop(name, None)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    time.tzset()
    from ipykernel.kernelapp import IPKernelApp
    # ipykernel read JPY_PARENT_PID when it was imported (here, before any request): make the app
    # now, with its parent; the launcher's launch_new_instance() takes this instance (a singleton).
    IPKernelApp.instance(parent_handle=int(os.environ["JPY_PARENT_PID"]))
    sys.argv[:] = ["ipykernel_launcher", *become.argv]
    sys.path.insert(0, become.cwd)  # as `python -m` has it (the launcher takes it out again)
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


def main() -> None:
    gc.disable()  # objects made before a fork are frozen (gc.freeze), as in _zygote.py
    control = socket.socket(fileno=int(sys.argv[1]))
    # graders/grading/ (this file's folder, put there by python) and graders/sandbox/ (put there by
    # _kernel_jail) are no places for a kernel to import from: their modules would shadow a student's.
    here = os.path.dirname(os.path.abspath(__file__))
    ours = {here, os.path.join(os.path.dirname(here), "sandbox")}
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") not in ours]
    # Where a batch's workers connect (bound and listening already: they may connect before our imports end).
    listener = socket.socket(fileno=int(sys.argv[2])) if len(sys.argv) > 2 and sys.argv[2] else None
    before = dict(os.environ)
    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:
            pass
    warm()
    SET_BY_IMPORTS.update({k: v for k, v in os.environ.items() if before.get(k) != v})
    serve(control, listener)


def warm() -> None:
    """Fill the caches every kernel fills on its first cell (the tokenizer's and IPython's input
    transformers' compiled regular expressions), once, here; no state of a shell is made."""
    try:
        import io
        import tokenize

        from IPython.core.inputtransformer2 import TransformerManager
        list(tokenize.generate_tokens(io.StringIO("x = 1\n").readline))
        TransformerManager().transform_cell("%%writefile x.py\nx = 1\n")
    except Exception:  # noqa: BLE001 - only time is at stake
        pass


if __name__ == "__main__":
    try:
        main()
    except BecomeKernel as become:
        kernel = become
    else:
        sys.exit(0)
    run_kernel(kernel)  # outside the except block: the kernel's exceptions have no context
