"""What this machine can enforce on a sandboxed program, probed once per process.

* :func:`isolation_mode`: ``"namespaces"`` (Linux, ``unshare(1)``, private network + PID
  namespaces) or ``"fallback"`` (docs/isolation.md);
* :func:`drops_privileges`, :func:`sandbox_uid`: as root, every server runs under an
  unprivileged uid of its own;
* :func:`guarantees`: what the sandboxes of this machine promise (for docs, tests, the demo);
* :class:`Limits`: the POSIX rlimits (and cgroup limits) of one server;
* :func:`base_environment`: the environment every sandboxed program starts from.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from graders.sandbox.cgroups import cgroup_support


class SandboxError(Exception):
    """The sandbox itself could not be started (not the student's fault)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for the student's server (POSIX rlimits).

    Units: seconds of CPU time, bytes, counts.  ``processes`` is enforced only
    for a non-root user (Linux ignores RLIMIT_NPROC for root); see
    docs/isolation.md for what stands in for it.
    """

    cpu_seconds: int = 60
    address_space_bytes: int = 1 << 30
    file_size_bytes: int = 16 << 20
    open_files: int = 256
    processes: int = 64
    core_bytes: int = 0
    memory_bytes: int = 512 << 20  # all the server's processes together (memory cgroup)

    def as_json(self) -> str:
        return json.dumps(self.__dict__)


@functools.lru_cache(maxsize=None)
def isolation_mode() -> str:
    """``"namespaces"`` when an isolated network + PID namespace can be made here."""
    forced = os.environ.get("GRADERS_ISOLATION")
    if forced in ("namespaces", "fallback"):
        return forced
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return "fallback"
    if _unshare_prefix() is None:
        return "fallback"
    return "namespaces"


@functools.lru_cache(maxsize=None)
def _unshare_prefix() -> tuple[str, ...] | None:
    base = ("unshare", "--net", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc")
    candidates = [base] if os.geteuid() == 0 else []
    candidates.append(base + ("--user", "--map-root-user"))
    for prefix in candidates:
        try:
            done = subprocess.run([*prefix, "true"], capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return prefix
    return None


SANDBOX_UIDS = range(300_000, 400_000)  # unprivileged uids for servers when we are root


def sandbox_uid(token: str) -> int:
    """The unprivileged uid (and gid) for the sandbox with this hex ``token``."""
    return SANDBOX_UIDS[int(token[:8], 16) % len(SANDBOX_UIDS)]


def drops_privileges() -> bool:
    """True when servers run under their own unprivileged uid (we are root, with namespaces)."""
    return (os.geteuid() == 0 and isolation_mode() == "namespaces"
            and os.environ.get("GRADERS_SANDBOX_UID") != "off")


def guarantees() -> dict[str, bool]:
    """What this machine's sandboxes enforce (for docs, tests and the demo's header)."""
    namespaces = isolation_mode() == "namespaces"
    return {
        "private_network": namespaces,
        "everything_killed_at_end": namespaces or bool(cgroup_support()),
        "process_limit": bool(cgroup_support()) or drops_privileges() or os.geteuid() != 0,
        "memory_limit_all_processes": bool(cgroup_support()),
        "course_files_hidden": namespaces,
        "unprivileged_user": drops_privileges() or os.geteuid() != 0,
    }


def base_environment() -> dict[str, str]:
    """The environment every sandboxed program starts from (a sandbox adds its marker and extras)."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ", "HOME", "SYSTEMROOT", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.setdefault("LANG", "C.UTF-8")
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONIOENCODING"] = "utf-8:backslashreplace"
    # glibc reserves 64 MiB of address space per malloc arena (one per thread, up to 8 x cores):
    # under the address-space limit a threaded server could not start more than ~13 threads.
    env["MALLOC_ARENA_MAX"] = "2"
    return env

