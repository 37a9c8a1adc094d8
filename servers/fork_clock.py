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
      ``sigchld`` (the default: the SIGCHLD handler only records that a
      child exited -- Python writes the signal to a self-pipe,
      ``signal.set_wakeup_fd`` -- and the main loop, woken up by the pipe in
      its ``select()``, reaps at once).  Reaping in the handler itself could
      reap a child that exited between ``fork()`` and
      ``active_processes.append(pid)``, before the parent recorded it.
    * The parent must close its copy of the client socket after forking.
      The seed does not: besides one descriptor per client, the connection
      then has two owners, and the child's ``close()`` sends no FIN while the
      parent's copy is open -- a client reading to end-of-file hangs
      (``--keep-client`` shows it).  The child must close the listening
      socket and leave with ``os._exit`` so it never runs the parent's
      clean-up.
    * At shutdown the children are killed (SIGTERM, then waited for) instead
      of the seed's ``os.system('kill -9 %d' % pid)``.  A stop signal that
      arrived between ``fork()`` and ``active_processes.append(pid)`` would
      leave a child nobody kills, so the signals are held
      (``signal.pthread_sigmask``) until the child is recorded.
    * ``recv(25)`` may return fewer than 25 bytes: TCP is a byte stream, so
      the child reads until it has the whole fixed-size question.

    ``--delay S`` is the seed's "client is blocked for ten seconds" (default 0).

Sources: seeds 001/002 (clockforkserver.py, clockforkclient.py, fork.py);
Python docs: os.fork, os.waitpid, os.WNOHANG, signal.SIGCHLD,
signal.set_wakeup_fd; POSIX wait(2).

Run:  python -m servers.fork_clock [--port 0] [--reap none|poll|sigchld] [--delay S] [--keep-client]
"""
from __future__ import annotations

import os
import selectors
import signal
import socket
import time

from servers import _layers, _runtime

BUFFER = 25  # the seed's fixed message size
HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM}
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


def serve(listener: socket.socket, reap_mode: str = "sigchld", delay: float = 0.0,
          keep_client: bool = False) -> None:
    active_processes: list[int] = []
    kept: list[socket.socket] = []  # --keep-client: the parent's copies, never closed
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    wakeup_r = wakeup_w = None
    if reap_mode == "sigchld":
        # The handler only records that a child exited: Python's C-level handler writes the
        # signal number to the self-pipe (set_wakeup_fd), which wakes up select() below, and
        # the main loop reaps.  Nothing the loop is in the middle of is ever touched by it.
        wakeup_r, wakeup_w = os.pipe()
        os.set_blocking(wakeup_r, False)
        os.set_blocking(wakeup_w, False)
        signal.set_wakeup_fd(wakeup_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        selector.register(wakeup_r, selectors.EVENT_READ)
    try:
        while True:
            ready = selector.select(timeout=0.25)  # wake up now and then to check our parent
            if not ready:
                _layers.check_parent()
                continue
            for key, _ in ready:
                if key.fileobj == wakeup_r:  # one or more SIGCHLD arrived
                    while True:
                        try:
                            if not os.read(wakeup_r, 512):
                                break
                        except BlockingIOError:
                            break
                    reap(active_processes)
                    continue
                client, address = listener.accept()
                _layers.log(f"server connected at {address}")
                # No stop signal may land between fork() and recording the child: a stop there
                # would leave a child that nobody kills.  Hold the signals until it is recorded.
                blocked = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)
                child_pid = os.fork()
                if child_pid == 0:  # the child
                    status = 0
                    try:
                        for sig in HELD_SIGNALS | {signal.SIGCHLD}:
                            signal.signal(sig, signal.SIG_DFL)
                        signal.set_wakeup_fd(-1)
                        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                        listener.close()
                        for sck in kept:
                            sck.close()
                        handle_client(client, delay)
                    except BaseException:
                        status = 1
                    finally:
                        os._exit(status)  # never return into the parent's loop
                try:
                    active_processes.append(child_pid)
                    if keep_client:
                        kept.append(client)  # the lecture's bug: the connection never ends
                    else:
                        client.close()  # the child has its own copy
                    _layers.log(f"appending PID {child_pid}")
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a pending stop lands here
                if reap_mode == "poll":
                    reap(active_processes)
    finally:
        if reap_mode == "sigchld":
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            os.close(wakeup_r)
            os.close(wakeup_w)
        selector.close()
        for sck in kept:
            sck.close()
        _layers.log(f"closing server; active processes: {active_processes}")
        kill_processes(active_processes)
        listener.close()


def configure(parser) -> None:
    parser.add_argument("--reap", choices=["none", "poll", "sigchld"], default="sigchld",
                        help="how finished children are collected (default %(default)s)")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds each child waits before serving (the seed: 10)")
    parser.add_argument("--keep-client", action="store_true",
                        help="the parent keeps its copy of every client socket (the seed's bug)")


def run_server(args) -> None:
    listener = socket.create_server((args.host, args.port), backlog=_layers.BACKLOG)
    _runtime.ready(listener.getsockname())
    serve(listener, args.reap, args.delay, args.keep_client)


def main(argv: list[str] | None = None) -> None:
    _layers.run_forking(run_server, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
