"""The shared ``main()`` plumbing of every reference server.

A server module writes only what it teaches and hands the rest to :func:`run`::

    from servers import _runtime

    def serve(args):
        with socketserver.TCPServer((args.host, args.port), Handler) as server:
            _runtime.ready(server.server_address)   # "listening on HOST:PORT"
            server.serve_forever()

    def main(argv=None):
        _runtime.run(serve, __doc__, argv, default_port=12091)

    if __name__ == "__main__":
        main()

:func:`run` parses ``--host`` / ``--port`` (plus any options the module adds
through ``configure``), installs the signal handling and the parent-death
watchdog, calls ``serve(args)`` and turns a stop request into exit status 0.

Stopping
    SIGINT raises :class:`KeyboardInterrupt` in the main thread (Python's
    default) and SIGTERM raises :class:`Stop`; both unwind the server's
    ``with`` blocks (closing its sockets) and :func:`run` exits with status 0
    after printing ``stopped by SIGINT`` (or ``SIGTERM``).  A second signal
    during that clean-up is handled by the operating system's default action,
    so a server stuck in its clean-up can still be stopped.

Parent-death watchdog
    A server started by a Jupyter kernel or by a test must not outlive it.  On
    Linux the server asks the kernel to send it SIGTERM when its parent dies
    (``prctl(PR_SET_PDEATHSIG)`` through :mod:`ctypes`); everywhere, a daemon
    thread also checks :func:`os.getppid` every :data:`WATCHDOG_INTERVAL`
    seconds and sends SIGTERM to its own process when the parent is gone.
    ``PR_SET_PDEATHSIG`` fires when the *thread* that started the server ends,
    so :mod:`servers.notebook` switches it off (``SERVERS_PDEATHSIG=0``) when it
    starts a server from any thread but the main one; the ``getppid()`` watch
    still applies.  ``SERVERS_WATCHDOG=0`` switches both off (a server started
    by hand that should survive its shell).

Startup errors
    An :class:`OSError` raised before :func:`ready` (``Address already in
    use``, ``Permission denied`` for a port below 1024) is printed as one line,
    ``cannot listen: OSError: [Errno 98] Address already in use``, and the
    process exits with status 1 (no traceback: the message is the lesson).

Environment variables read here (set by :mod:`servers.notebook`):
``SERVERS_PARENT_PID`` (the pid that must stay alive), ``SERVERS_PDEATHSIG``
and ``SERVERS_WATCHDOG`` (``0`` disables).
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from typing import Callable

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 0
READY_PREFIX = "listening on "
WATCHDOG_INTERVAL = 0.25  # seconds between two getppid() checks
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_ready_printed = False


class Stop(BaseException):
    """Raised in the main thread by SIGTERM (SIGINT raises KeyboardInterrupt)."""


def make_parser(description: str | None, *, default_port: int = DEFAULT_PORT,
                inet: bool = True) -> argparse.ArgumentParser:
    """Return the parser every server shares.

    ``inet=True`` adds ``--host`` (default ``127.0.0.1``; ``''`` = every
    interface) and ``--port`` (default ``default_port``; 0 = any free port).
    Unix-domain servers pass ``inet=False`` and add their own ``--path``.
    """
    first = (description or "").strip().splitlines()
    parser = argparse.ArgumentParser(
        description=first[0] if first else None,
        epilog="Prints 'listening on HOST:PORT' once ready; Ctrl-C or SIGTERM stops it.",
    )
    if inet:
        parser.add_argument("--host", default=DEFAULT_HOST,
                            help="address to bind (default %(default)s; '' = all interfaces)")
        parser.add_argument("--port", type=int, default=default_port,
                            help="port to bind (default %(default)s; 0 = any free port)")
    return parser


def ready(address) -> None:
    """Print the one readiness line for ``address`` and flush it.

    ``address`` is what ``getsockname()`` / ``server.server_address`` returns:
    ``(host, port)`` or ``(host, port, flowinfo, scope_id)`` for TCP/UDP, a
    path (``str`` or ``bytes``) for a Unix-domain socket.  Call it once, after
    ``bind()`` and ``listen()``, before serving.  Raises RuntimeError if called
    twice (the starter reads only the first line).
    """
    global _ready_printed
    if _ready_printed:
        raise RuntimeError("ready() called twice")
    if isinstance(address, (str, bytes)):
        path = os.fsdecode(address)
        line = f"{READY_PREFIX}unix:{path}"
    else:
        host, port = address[0], address[1]
        line = f"{READY_PREFIX}{host}:{port}"
    print(line, flush=True)
    _ready_printed = True


def _raise_stop(signum, frame):
    raise Stop(signum)


def _set_pdeathsig(signum: int) -> bool:
    """Ask Linux to send ``signum`` to this process when its parent thread dies."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, interval: float) -> None:
    while True:
        if os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGTERM)
            # The output pipe may have died with the parent: never let that stop us.
            with contextlib.suppress(OSError, ValueError):
                print("parent process died; stopping", file=sys.stderr, flush=True)
            return
        time.sleep(interval)


def start_watchdog() -> int | None:
    """Make this process exit (via SIGTERM) when the process that started it dies.

    Returns the watched parent pid, or None when disabled
    (``SERVERS_WATCHDOG=0``).  If the parent is already gone when this runs,
    the process stops at once.
    """
    if os.environ.get("SERVERS_WATCHDOG", "1") == "0":
        return None
    expected = os.environ.get("SERVERS_PARENT_PID")
    parent = int(expected) if expected and expected.isdigit() else os.getppid()
    if os.environ.get("SERVERS_PDEATHSIG", "1") != "0":
        _set_pdeathsig(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before prctl() took effect
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=_watch_parent, args=(parent, WATCHDOG_INTERVAL),
                     name="parent-watchdog", daemon=True).start()
    return parent


def run(serve: Callable[[argparse.Namespace], object], description: str | None,
        argv: list[str] | None = None, *, default_port: int = DEFAULT_PORT,
        inet: bool = True,
        configure: Callable[[argparse.ArgumentParser], object] | None = None) -> None:
    """Parse the command line, run ``serve(args)`` and exit like a good server.

    ``serve`` binds, calls :func:`ready` and serves; it returns when the
    server is done (for example after ``handle_request()``), or is stopped by
    a signal.  ``configure(parser)`` may add module-specific options.  Never
    returns: exits with status 0 after a normal return or a stop signal, 1
    after an OSError raised before :func:`ready` (printed as one line); any
    other exception keeps its traceback (exit status 1).
    """
    parser = make_parser(description, default_port=default_port, inet=inet)
    if configure is not None:
        configure(parser)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    start_watchdog()
    try:
        serve(args)
    except (KeyboardInterrupt, Stop) as stop:
        # From here on, a second signal takes the OS default action.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        name = "SIGINT" if isinstance(stop, KeyboardInterrupt) else "SIGTERM"
        with contextlib.suppress(OSError, ValueError):  # the pipe may be gone with the parent
            print(f"stopped by {name}", flush=True)
    except OSError as exc:
        if _ready_printed:
            raise
        print(f"cannot listen: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    sys.exit(0)
