"""The seed's fork.py: a parent that forks a child each time you press Enter.

What it teaches
    ``os.fork()`` returns twice: 0 in the child, the child's PID in the parent
    (MCS 275 lecture 33, "illustration of a fork", seeds 001 and 002).  Each
    Enter forks a child that prints ``hello from child PID`` and leaves with
    ``os._exit(0)``; the parent prints ``hello from parent PID CHILD``.  Type
    ``q`` (or close stdin) to quit.  It is not a server and prints no
    ``listening on`` line: drive it with pexpect or a pipe.

What to watch for
    * The seed never waits for its children, so every child stays a zombie
      (``ps`` shows it as ``(Python)`` in the seed, status ``Z`` on Linux)
      until the parent exits.  ``--reap`` makes the parent ``os.waitpid`` it.
    * ``os._exit`` skips flushing ``sys.stdout``.  When stdout is a pipe it
      is block-buffered, so a child that prints without flushing loses its
      line (``--no-flush`` shows it; run it without PYTHONUNBUFFERED).  And
      text the parent had not flushed before ``fork()`` is copied into the
      child: a child that left with ``sys.exit`` would print it a second
      time.  The default flushes before forking and before ``os._exit``.
    * Never call ``os.fork()`` inside a Jupyter kernel: the child is a copy of
      the whole kernel, threads and sockets included.  Run this as a script.

Sources: seeds 001/002 (fork.py); Python docs: os.fork, os._exit, os.waitpid.

Run:  python -m servers.fork_hello [--reap] [--no-flush]
"""
from __future__ import annotations

import argparse
import os
import sys


def say(text: str, flush: bool) -> None:
    """One line in one write(): a parent's and a child's lines never splice together."""
    sys.stdout.write(text + "\n")
    if flush:
        sys.stdout.flush()


def child(flush: bool) -> None:
    """The code executed by the forked process."""
    say(f"hello from child {os.getpid()}", flush)  # one write: lines do not interleave
    os._exit(0)  # go back to parent loop -- without flushing stdio buffers


def parent(reap: bool, flush: bool) -> None:
    """Fork once per line read; quit on 'q' or end of input."""
    say(f"parent {os.getpid()} started; press Enter to fork, q to quit", flush)
    while True:
        if flush:
            sys.stdout.flush()  # or the child inherits (and repeats) unflushed text
        newpid = os.fork()
        if newpid == 0:
            child(flush)
        say(f"hello from parent {os.getpid()} {newpid}", flush)
        if reap:
            _pid, status = os.waitpid(newpid, 0)
            say(f"reaped child {newpid} exit status {os.waitstatus_to_exitcode(status)}", flush)
        line = sys.stdin.readline()
        if not line or line.strip() == "q":
            break
    say("parent exits", True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servers.fork_hello", description=__doc__.splitlines()[0])
    parser.add_argument("--reap", action="store_true", help="wait for each child (no zombies)")
    parser.add_argument("--no-flush", action="store_true", help="do not flush stdout around fork/_exit")
    args = parser.parse_args(argv)
    try:
        parent(args.reap, not args.no_flush)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
