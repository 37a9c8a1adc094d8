"""Helpers for the layer 1-2 reference-server tests (tests/servers).

Not a conftest.py (tests/conftest.py is imported as ``conftest``), and no
``__init__.py`` here on purpose: a ``tests/servers`` package would shadow the
real ``servers`` package.  Test modules import this file by name (pytest puts
this folder on sys.path).
"""
from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # ``import servers`` however pytest was started
    sys.path.insert(0, str(REPO))


def read_line(proc: subprocess.Popen, timeout: float) -> str:
    """Read one line from ``proc.stdout`` (a binary pipe) within ``timeout`` seconds."""
    fd = proc.stdout.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError(f"no line within {timeout} s; got {buf!r}")
            chunk = os.read(fd, 1)
            if not chunk:
                raise EOFError(f"process ended; got {buf!r}")
            buf += chunk
    return buf.decode()


def gone(pid: int) -> bool:
    """True once ``pid`` has exited (a zombie nobody reaped counts as gone)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def listening(port: int) -> bool:
    """True while some process has a TCP socket listening on ``port``."""
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
               for c in psutil.net_connections(kind="tcp"))


def python_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python that must import ``servers``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


@pytest.fixture
def spawn():
    """Start ``python -c CODE`` children; kill and reap them at the end of the test."""
    procs: list[subprocess.Popen] = []

    def _spawn(code: str, **env: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=python_env(**env), cwd=REPO)
        procs.append(proc)
        return proc

    yield _spawn
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
