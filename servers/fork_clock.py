"""A forking clock server written by hand with os.fork(): one process per client.

What it teaches
    The "A Forking Server" section of MCS 275 lecture 33 (seeds 001 and 002,
    ``clockforkserver.py``): the parent accepts, forks, and the child talks to
    one client (it answers every 25-byte question with ``time.ctime()``) until
    the client hangs up.  The parent remembers its children in
    ``active_processes`` and kills them when it shuts down.

What to watch for
    * Zombies.  A child that has exited stays in the process table (status
      ``Z``) until its parent collects its exit status with ``os.waitpid``.
      The seed never reaps.  ``--reap`` chooses how this server does it:
      ``none`` (the seed: zombies pile up), ``poll`` (``waitpid(-1, WNOHANG)``
      after every accept: a zombie lingers until the next client arrives) or
      ``sigchld`` (the default: a SIGCHLD handler reaps at once).
    * The parent must close its copy of the client socket after forking (the
      seed does not, leaking one descriptor per client and keeping every
      connection half alive), and the child must close the listening socket
      and leave with ``os._exit`` so it never runs the parent's clean-up.
    * At shutdown the children are killed (SIGTERM, then waited for) instead
      of the seed's ``os.system('kill -9 %d' % pid)``.  A stop signal that
      arrived between ``fork()`` and ``active_processes.append(pid)`` would
      leave a child nobody kills, so the signals are held
      (``signal.pthread_sigmask``) until the child is recorded.
    * ``recv(25)`` may return fewer than 25 bytes: TCP is a byte stream, so
      the child reads until it has the whole fixed-size question.

    ``--delay S`` is the seed's "client is blocked for ten seconds" (default 0).

Sources: seeds 001/002 (clockforkserver.py, clockforkclient.py, fork.py);
Python docs: os.fork, os.waitpid, os.WNOHANG, signal.SIGCHLD; POSIX wait(2).

Run:  python -m servers.fork_clock [--port 0] [--reap none|poll|sigchld] [--delay S]
"""
from __future__ import annotations

import os
import signal
import socket
import time

from servers import _layers, _runtime

BUFFER = 25  # the seed's fixed message size
HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGCHLD}
QUESTION = "What is the time?"


def recv_exactly(sck: socket.socket, size: int) -> bytes:
    """Read exactly ``size`` bytes, or fewer only if the peer hangs up."""
    chunks = []
    while size:
        data = sck.recv(size)
        if not data:
            break
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


def handle_client(sck: socket.socket, delay: float) -> None:
    """The child's whole life: answer questions until the client hangs up."""
    if delay:
        _layers.log(f"client is blocked for {delay} seconds ...")
        time.sleep(delay)
    _layers.log("handling a client ...")
    while True:
        data = recv_exactly(sck, BUFFER)
        if len(data) < BUFFER:
            break
        now = time.ctime()
        _layers.log(f"child {os.getpid()}: received {data.decode().strip()!r}, sending {now!r}")
        sck.sendall(now.encode().ljust(BUFFER))
    _layers.log(f"child {os.getpid()}: closing client socket, exiting child process")
    sck.close()


def reap(active_processes: list[int]) -> list[int]:
    """Collect every child that has already exited, without blocking."""
    reaped = []
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no children at all
            break
        if pid == 0:  # children exist, none has exited yet
            break
        reaped.append(pid)
        if pid in active_processes:
            active_processes.remove(pid)
    if reaped:
        _layers.log(f"reaped {reaped}")
    return reaped


def kill_processes(active_processes: list[int], grace: float = 2.0) -> None:
    """Kill the handler processes that are still alive, then wait for them."""
    for pid in list(active_processes):
        _layers.log(f"-> killing process {pid}")
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while active_processes:
        pid = active_processes[0]
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            active_processes.pop(0)
        elif time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            active_processes.pop(0)
        else:
            time.sleep(0.01)


def serve(listener: socket.socket, reap_mode: str = "sigchld", delay: float = 0.0) -> None:
    active_processes: list[int] = []
    if reap_mode == "sigchld":
        signal.signal(signal.SIGCHLD, lambda signum, frame: reap(active_processes))
    listener.settimeout(0.25)  # wake up now and then to check that our parent lives
    try:
        while True:
            try:
                client, address = listener.accept()  # PEP 475: retried after a signal handler
            except TimeoutError:
                _layers.check_parent()
                continue
            _layers.log(f"server connected at {address}")
            # No stop signal may land between fork() and recording the child: a stop there
            # would leave a child that nobody kills.  Hold the signals until it is recorded.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
            child_pid = os.fork()
            if child_pid == 0:  # the child
                status = 0
                try:
                    for sig in HELD_SIGNALS:
                        signal.signal(sig, signal.SIG_DFL)
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                    listener.close()
                    handle_client(client, delay)
                except BaseException:
                    status = 1
                finally:
                    os._exit(status)  # never return into the parent's loop
            try:
                active_processes.append(child_pid)
                client.close()  # the child has its own copy
                _layers.log(f"appending PID {child_pid}")
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a pending stop lands here
            if reap_mode == "poll":
                reap(active_processes)
    finally:
        if reap_mode == "sigchld":
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        _layers.log(f"closing server; active processes: {active_processes}")
        kill_processes(active_processes)
        listener.close()


def configure(parser) -> None:
    parser.add_argument("--reap", choices=["none", "poll", "sigchld"], default="sigchld",
                        help="how finished children are collected (default %(default)s)")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds each child waits before serving (the seed: 10)")


def run_server(args) -> None:
    listener = socket.create_server((args.host, args.port), backlog=_layers.BACKLOG)
    _runtime.ready(listener.getsockname())
    serve(listener, args.reap, args.delay)


def main(argv: list[str] | None = None) -> None:
    _layers.run_forking(run_server, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
