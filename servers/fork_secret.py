"""The "secret number" server of seed 001's assignment, and why forking breaks it.

What it teaches
    Clients connect and send guesses, one number per line.  The server
    answers ``wrong``, ``right`` (the first correct guess ever) or ``secret
    found`` (every answer after someone has found it, whatever the guess) --
    MCS 275 lecture 33, "Summary + Assignments" (seeds 001 and 002).

What to watch for
    * ``--mode forking`` (ForkingTCPServer) is the broken version: "found" is
      set in the child that handled the right guess, and that child's memory
      dies with it.  The next client is handled by a new copy of the parent,
      where nothing was ever found: it hears ``right`` again, not ``secret
      found``.
    * ``--mode threading`` fixes it: threads share the process's memory; a
      ``threading.Lock`` makes check-and-set atomic, so exactly one client
      ever hears ``right``.
    * ``--mode forking-shared`` keeps processes but puts the flag in memory
      the children share (``multiprocessing.Value``, created before any fork).
    * The check-then-act race: ``--no-lock`` drops the lock, and ``--window
      S`` sleeps S seconds between the check ("found yet?") and the act
      (set found, answer ``right``).  Two clients guessing right together
      both pass the check: both win.  The lock makes check and act one step.

Sources: seeds 001/002 (assignment 2); Python docs: socketserver mix-ins,
threading.Lock, multiprocessing "Sharing state between processes".

Run:  python -m servers.fork_secret --mode forking|threading|forking-shared [--secret N]
      [--no-lock] [--window S]
"""
from __future__ import annotations

import contextlib
import multiprocessing
import random
import socketserver
import threading
import time

from servers import _layers, _runtime


class Verdicts:
    """The shared "has anyone found it?" state, in one of three flavours."""

    def __init__(self, secret: int, mode: str, locked: bool = True, window: float = 0.0):
        self.secret, self.locked, self.window = secret, locked, window
        if mode == "forking-shared":
            self._found = multiprocessing.Value("b", 0)  # shared memory + its own lock
            self._lock = self._found.get_lock()
        else:
            self._found = None
            self._flag = False
            self._lock = threading.Lock()

    def _get(self) -> bool:
        return bool(self._found.value) if self._found is not None else self._flag

    def _set(self) -> None:
        if self._found is not None:
            self._found.value = 1
        else:
            self._flag = True

    def judge(self, guess: int) -> str:
        with self._lock if self.locked else contextlib.nullcontext():
            if self._get():  # check ...
                return "secret found"
            if guess == self.secret:
                if self.window:
                    time.sleep(self.window)  # ... another client may pass the check now ...
                self._set()  # ... act
                return "right"
            return "wrong"


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            try:
                guess = int(raw.decode("ascii", "replace").strip())
            except ValueError:
                reply = "error: send one whole number per line"
            else:
                reply = self.server.verdicts.judge(guess)
            self.wfile.write(reply.encode() + b"\n")


class ForkingServer(_layers.ParentCheckMixIn, socketserver.ForkingTCPServer):
    allow_reuse_address = True
    request_queue_size = _layers.BACKLOG


class ThreadingServer(_layers.ParentCheckMixIn, socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = _layers.BACKLOG


def configure(parser) -> None:
    parser.add_argument("--mode", choices=["forking", "threading", "forking-shared"], default="forking")
    parser.add_argument("--secret", type=int, default=None,
                        help="the number to guess (default: random, 1 to 10)")
    parser.add_argument("--no-lock", action="store_true",
                        help="check and set the found flag without the lock (the race)")
    parser.add_argument("--window", type=float, default=0.0,
                        help="seconds between the check and the set (widens the race's window)")


def serve(args) -> None:
    secret = args.secret if args.secret is not None else random.randint(1, 10)
    cls = ThreadingServer if args.mode == "threading" else ForkingServer
    with cls((args.host, args.port), Handler) as server:
        server.verdicts = Verdicts(secret, args.mode, not args.no_lock, min(max(args.window, 0.0), 5.0))
        print(f"mode={args.mode}; the secret is a number from 1 to 10", flush=True)
        _runtime.ready(server.server_address)
        server.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _layers.run_forking(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
