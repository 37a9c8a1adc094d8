"""ForkingMixIn versus ThreadingMixIn: one socketserver, two ways to be concurrent.

What it teaches
    ``socketserver.ForkingTCPServer`` handles each connection in a child
    process, ``ThreadingTCPServer`` in a thread of the same process (seed 004,
    PyMOTW "Threading and Forking"; seeds 001/002 "A Forking Server").  The
    line protocol shows where a request ran and what it can see:

    ``WHO``        -> ``pid=P thread=NAME``
    ``WORK S``     -> prints ``working S s in ...``, sleeps S seconds (at most
                      5), then answers ``done pid=P thread=NAME``
    ``HIT``        -> adds one to a module-level counter, ``hits=N pid=P``
                      (read, then write: ``--window S`` sleeps S seconds in
                      between, widening the window a race needs)

What to watch for
    * State is not shared between processes.  In ``--mode forking`` every
      ``HIT`` runs in a fresh copy of the parent, so every client sees
      ``hits=1`` and the parent's counter is still 0 when it stops (it prints
      ``parent ... sees hits=N`` at shutdown).  With threads the count grows.
      This is why a ForkingMixIn "secret number" server fails (fork_secret).
    * Threads share the counter, so ``HITS += 1`` (read, add, write back)
      runs under ``HITS_LOCK``.  ``--no-lock --window 0.2`` removes the lock
      and widens the gap between the read and the write: clients arriving
      together all read the same value, and all but one update is lost.
      Without ``--window`` the unlocked race is real but rarely visible.
    * ``max_children`` (default 40): at that many live children the forking
      server stops accepting until one exits (``--max-children``).
    * ``block_on_close`` (default True): ``server_close()`` waits for running
      children or threads.  ``--no-block-on-close`` returns at once: forked
      children then live on as orphans and finish their requests (daemon
      threads, by contrast, die with the process).
    * ``daemon_threads`` (default False): with ``--daemon-threads`` the
      threads are not waited for, and a request still running when the
      process exits is cut off without a reply.
    * ForkingMixIn reaps in ``service_actions()``, which ``serve_forever``
      calls after every request and every ``poll_interval`` (0.5 s by
      default, 0.1 s here) even with no client, so a finished child stays a
      zombie for at most about that long.

Sources: seed 004 (PyMOTW SocketServer), seeds 001/002; Python docs:
socketserver "Server Objects" and "ForkingMixIn / ThreadingMixIn".

Run:  python -m servers.fork_mixins --mode forking|threading [--max-children N]
      [--no-block-on-close] [--daemon-threads] [--no-lock] [--window S]
"""
from __future__ import annotations

import contextlib
import os
import socketserver
import threading
import time

from servers import _layers, _runtime

HITS = 0
HITS_LOCK = threading.Lock()  # handler threads share HITS: read-add-write under the lock


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        global HITS
        for raw in self.rfile:
            words = raw.decode("utf-8", "replace").split()
            where = f"pid={os.getpid()} thread={threading.current_thread().name}"
            if words == ["WHO"]:
                reply = where
            elif len(words) == 2 and words[0] == "WORK":
                _layers.log(f"working {words[1]} s in {where}")
                time.sleep(min(max(float(words[1]), 0.0), 5.0))
                reply = f"done {where}"
            elif words == ["HIT"]:
                # In a forked child this changes the child's copy only.
                with HITS_LOCK if self.server.locked else contextlib.nullcontext():
                    seen = HITS  # read ...
                    if self.server.window:
                        time.sleep(self.server.window)  # ... another thread may read it now ...
                    HITS = seen + 1  # ... write
                    reply = f"hits={HITS} pid={os.getpid()}"
            else:
                reply = "error: expected WHO, WORK S or HIT"
            self.wfile.write(reply.encode() + b"\n")


class ForkingServer(_layers.ParentCheckMixIn, socketserver.ForkingTCPServer):
    allow_reuse_address = True
    request_queue_size = _layers.BACKLOG


class ThreadingServer(_layers.ParentCheckMixIn, socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    request_queue_size = _layers.BACKLOG


def make_server(host: str, port: int, mode: str, max_children: int | None = None,
                block_on_close: bool = True, daemon_threads: bool = False,
                locked: bool = True, window: float = 0.0):
    cls = ForkingServer if mode == "forking" else ThreadingServer
    server = cls((host, port), Handler)
    server.locked, server.window = locked, min(max(window, 0.0), 5.0)
    server.block_on_close = block_on_close
    if mode == "forking" and max_children:
        server.max_children = max_children
    if mode == "threading":
        server.daemon_threads = daemon_threads
    return server


def configure(parser) -> None:
    parser.add_argument("--mode", choices=["forking", "threading"], default="forking")
    parser.add_argument("--max-children", type=int, default=None,
                        help="ForkingMixIn.max_children (default 40)")
    parser.add_argument("--no-block-on-close", action="store_true",
                        help="server_close() does not wait for running handlers")
    parser.add_argument("--daemon-threads", action="store_true",
                        help="ThreadingMixIn.daemon_threads = True")
    parser.add_argument("--no-lock", action="store_true",
                        help="HIT updates the shared counter without HITS_LOCK (the race)")
    parser.add_argument("--window", type=float, default=0.0,
                        help="seconds HIT sleeps between reading and writing the counter")


def serve(args) -> None:
    server = make_server(args.host, args.port, args.mode, args.max_children,
                         not args.no_block_on_close, args.daemon_threads,
                         not args.no_lock, args.window)
    print(f"mode={args.mode} max_children={getattr(server, 'max_children', None)} "
          f"block_on_close={server.block_on_close} "
          f"daemon_threads={getattr(server, 'daemon_threads', None)} "
          f"lock={'on' if server.locked else 'off'} window={server.window}", flush=True)
    _runtime.ready(server.server_address)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        started = time.monotonic()
        server.server_close()
        _layers.log(f"server_close took {time.monotonic() - started:.2f} s")
        _layers.log(f"parent pid={os.getpid()} sees hits={HITS}")


def main(argv: list[str] | None = None) -> None:
    _layers.run_forking(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
