"""Helpers shared by the layer 3-5 reference servers and notebooks (not a lesson).

The servers themselves use :mod:`servers._runtime` (``--host``/``--port``,
the ``listening on HOST:PORT`` line, clean stops, the parent-death watchdog).
This module adds what layers 3-5 need on top of it:

* :data:`BACKLOG` -- socketserver's ``request_queue_size`` of 5 makes a burst
  of clients wait for SYN retransmits, so our servers queue more;
* :func:`children` / :func:`zombies` -- what a server's child processes are
  doing, through psutil (status ``zombie`` is ``Z`` in ``ps``);
* :func:`listening_ports` -- the TCP ports a process tree listens on.
"""
from __future__ import annotations

import psutil

BACKLOG = 128


def children(pid: int) -> dict[int, str]:
    """``{child pid: status}`` for the direct children of ``pid`` ('zombie', 'sleeping', ...)."""
    found = {}
    try:
        kids = psutil.Process(pid).children()
    except psutil.Error:
        return found
    for kid in kids:
        try:
            found[kid.pid] = kid.status()
        except psutil.Error:
            pass
    return found


def zombies(pid: int) -> list[int]:
    """The children of ``pid`` that have exited but were not reaped yet."""
    return sorted(p for p, status in children(pid).items() if status == psutil.STATUS_ZOMBIE)


def listening_ports(pid: int) -> set[int]:
    """TCP ports on which ``pid`` or any of its descendants listens."""
    try:
        procs = [psutil.Process(pid)]
        procs += procs[0].children(recursive=True)
    except psutil.Error:
        return set()
    pids = {p.pid for p in procs}
    return {c.laddr.port for c in psutil.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN and c.pid in pids}
