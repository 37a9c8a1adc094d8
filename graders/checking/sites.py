"""What the grader may put in a server's ``sitecustomize``: code that runs before the student's.

Some spec points only show under conditions a loopback test does not create by
itself: a send buffer as small as a real network's, draws of :mod:`random`
forced to their ends, a reply held back to open a race.  A check then starts
the server with a ``sitecustomize`` of its own (``Run.start(site=...)``): the
file goes in ``_grader_site/`` of the server's own work directory, found through
a relative ``PYTHONPATH`` (the server runs there).  In the fallback isolation
mode the sandbox has a ``sitecustomize`` of its own, which this one would hide:
both are put together (:func:`with_fallback`).

Source: Python docs, "site — Site-specific configuration hook" (sitecustomize);
socket(7) (SO_SNDBUF: Linux doubles the value set).
"""
from __future__ import annotations

from graders.sandbox import FALLBACK_SITE, isolation_mode

SITE_DIR = "_grader_site"  # in the server's work directory; PYTHONPATH names it relative to there

SMALL_SEND_BUFFER = 4096  # bytes asked for each accepted connection's send buffer (the kernel doubles it)
_SMALL_BUFFERS = """
import socket as _socket

_accept = _socket.socket.accept


def _small_buffer_accept(self):
    conn, address = _accept(self)
    try:
        conn.setsockopt(_socket.SOL_SOCKET, _socket.SO_SNDBUF, {size!r})
    except OSError:
        pass
    return conn, address


_socket.socket.accept = _small_buffer_accept
"""


def small_send_buffers(size: int = SMALL_SEND_BUFFER) -> str:
    """sitecustomize code that gives every connection the server accepts a send buffer of ``size`` bytes.

    On loopback the kernel lets megabytes wait unsent; with a small buffer, a
    100 KB reply is more than ``send()`` takes at once (a non-blocking
    ``sendall()`` is cut short), and a client that does not read its replies
    backs them up within a few thousand lines, as on a real network.
    """
    return _SMALL_BUFFERS.replace("{size!r}", repr(size))


def with_fallback(site: str) -> str:
    """``site``, followed in the fallback isolation mode by the sandbox's own sitecustomize (which it hides)."""
    if isolation_mode() == "fallback":
        site += "\n" + (FALLBACK_SITE / "sitecustomize.py").read_text(encoding="utf-8")
    return site


def python_path() -> str:
    """The server's PYTHONPATH for a grader's sitecustomize (with the fallback mode's own after it)."""
    return SITE_DIR + (f":{FALLBACK_SITE}" if isolation_mode() == "fallback" else "")
