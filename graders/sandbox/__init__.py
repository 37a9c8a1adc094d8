"""The sandbox: run one untrusted server program in isolation, talk to it, see what it did.

:class:`Sandbox` starts a student's server under the jail (``graders/sandbox/_jail.py``)
as a pexpect child (``PopenSpawn``): the server's stdout and stderr go to a pipe
that the grader drains (never to the Jupyter kernel's stderr, where nbgrader would
score a test cell 0).  The jail reports when the server listens and on which
port, and connects the grader's clients to it inside the server's own network
namespace.

Isolation modes, probed once per process (:func:`isolation_mode`):

``"namespaces"``
    Linux with ``unshare(1)`` and network + PID namespaces (as root, or as a
    user through a user namespace).  Every sandbox gets a loopback-only network
    namespace and a PID namespace: hard-coded ports never collide, and nothing
    the server starts outlives it.
``"fallback"``
    Anything else (macOS; containers that forbid namespaces).  The server runs
    in the host's network; hard-coded ports are serialised with a lock file and
    ``SO_REUSEADDR`` is switched on for ``socketserver`` servers so TIME_WAIT
    does not block a regrade; clean-up kills the process group and every
    process carrying the sandbox's marker variable.  See docs/isolation.md.

Set ``GRADERS_ISOLATION=fallback`` to force the fallback (tests do, to cover it).

In the namespaces mode a sandbox is forked by this process's :class:`Zygote`
(``graders/sandbox/_zygote.py``: a pre-started jail, about 20 ms of CPU per sandbox instead
of two interpreter start-ups) rather than started with ``unshare(1)``;
``GRADERS_ZYGOTE=off`` goes the plain way.  The jail passes a netlink socket of the
server's namespace (``_jail.SockDiag``) with its ``started`` event, for
:mod:`graders.sandbox.watch`.

The modules, one job each:

* :mod:`~graders.sandbox.isolation`: what this machine can enforce (mode, uids, limits);
* :mod:`~graders.sandbox.cgroups`: per-sandbox pids + memory cgroups;
* :mod:`~graders.sandbox.mounts`: what a sandboxed program may not see;
* :mod:`~graders.sandbox.zygote`: the client of the pre-started jail that forks sandboxes;
* :mod:`~graders.sandbox.runner`: :class:`Sandbox`, one server in the jail;
* :mod:`~graders.sandbox.watch`: what a sandboxed server has done (socket queues, threads);
* ``_jail.py``, ``_zygote.py``: the processes themselves (standard library only; they run
  as scripts, with their own folder on ``sys.path``).

The lowest stage of :mod:`graders`: it imports nothing else of the package.
"""

from graders.sandbox.cgroups import Cgroup, cgroup_support
from graders.sandbox.isolation import (Limits, SandboxError, base_environment, drops_privileges,
                                       guarantees, isolation_mode, sandbox_uid)
from graders.sandbox.mounts import default_hidden, mount_plan
from graders.sandbox.runner import FALLBACK_SITE, JAIL, OUTPUT_LIMIT, Event, PipeSpawn, Sandbox
from graders.sandbox.zygote import Zygote, ZygoteBroken, prewarm, program_imports, zygote_enabled

__all__ = ["Cgroup", "Event", "FALLBACK_SITE", "JAIL", "Limits", "OUTPUT_LIMIT", "PipeSpawn", "Sandbox",
           "SandboxError", "Zygote", "ZygoteBroken", "base_environment", "cgroup_support", "default_hidden",
           "drops_privileges", "guarantees", "isolation_mode", "mount_plan", "prewarm", "program_imports",
           "sandbox_uid", "zygote_enabled"]
