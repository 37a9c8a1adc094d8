"""Measure iterative, threading, forking and asyncio servers under concurrent clients.

Each model runs as ``python -m servers.concurrency_work --model M --work W``
(a real subprocess on 127.0.0.1).  For each number of clients N, N client
threads connect at the same moment and each makes K request/response round
trips on its own connection; the server spends W seconds of blocking work
(sleep) on every request.  The wall time from "go" to the last answer is
recorded (the best of R repeats).  The ideal is K*W for every N when the
server overlaps clients, and N*K*W when it serves one client at a time.

    python benchmarks/concurrency.py            # full: N = 1..32, K = 10, R = 3
    python benchmarks/concurrency.py --quick    # N = 1..32, K = 3, R = 1 (a few seconds)
    python benchmarks/concurrency.py --json out.json
    python benchmarks/concurrency.py --cpu      # CPU-bound work: the GIL, measured
    python benchmarks/concurrency.py --burst    # 32 clients at once, listen backlog 5 versus 128

Prints one table of wall times (ms) and one of speed-ups versus iterative.
All traffic goes to 127.0.0.1; every count and wait is bounded.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from servers.notebook import running  # noqa: E402

MODELS = ("iterative", "threading", "forking", "asyncio")
CLIENTS = (1, 2, 4, 8, 16, 32)
CLIENT_TIMEOUT = 30.0  # seconds any one client may wait for one answer


def _client(address, rounds: int, barrier: threading.Barrier, errors: list) -> None:
    try:
        barrier.wait(CLIENT_TIMEOUT)
        with socket.create_connection(address, timeout=CLIENT_TIMEOUT) as sock:
            f = sock.makefile("rwb")
            for i in range(rounds):
                msg = f"request {i}\n".encode()
                f.write(msg)
                f.flush()
                if f.readline() != msg:
                    raise ConnectionError("wrong or missing answer")
    except Exception as exc:  # reported, never hidden
        errors.append(repr(exc))


def run_clients(address, clients: int, rounds: int) -> float:
    """N clients at once, K round trips each; return the wall time in seconds."""
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=_client, args=(address, rounds, barrier, errors), daemon=True)
               for _ in range(clients)]
    for t in threads:
        t.start()
    barrier.wait(CLIENT_TIMEOUT)
    started = time.perf_counter()
    for t in threads:
        t.join(CLIENT_TIMEOUT * rounds)
    elapsed = time.perf_counter() - started
    if errors or any(t.is_alive() for t in threads):
        raise RuntimeError(f"{len(errors)} client(s) failed: {errors[:3]}")
    return elapsed


def server_cpu_seconds(pid: int, settle: float = 2.0) -> float:
    """CPU seconds (user + system) used so far by a server and its reaped children.

    A forked child's CPU time is added to its parent's ``children_*`` times
    when the parent reaps it, so this first waits (at most ``settle``
    seconds) until the server has no child left.  NaN without psutil.
    """
    try:
        import psutil
    except ImportError:  # e.g. a free-threaded interpreter without the package: no cores column
        return float("nan")
    proc = psutil.Process(pid)
    deadline = time.monotonic() + settle
    while proc.children() and time.monotonic() < deadline:
        time.sleep(0.01)
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def measure(models=MODELS, clients=CLIENTS, rounds: int = 3, work: float = 0.01,
            repeats: int = 1, progress=None, *, cpu: bool = False, backlog: int | None = None) -> dict:
    """Run the whole grid; return a JSON-ready dict of results.

    ``cpu``: the server computes for ``work`` seconds of CPU time per request
    instead of sleeping.  ``backlog``: the servers' listen backlog (default:
    theirs, 128).
    """
    results: dict[str, dict[str, float]] = {}
    cores: dict[str, dict[str, float]] = {}
    options = (["--cpu"] if cpu else []) + (["--backlog", str(backlog)] if backlog else [])
    for model in models:
        results[model], cores[model] = {}, {}
        with running("concurrency_work", "--model", model, "--work", str(work), *options,
                     key=f"bench-{model}") as server:
            run_clients(server.address, 1, 1)  # warm-up: first connection, imports, caches
            for n in clients:
                runs = []
                for _ in range(repeats):
                    before = server_cpu_seconds(server.pid)
                    wall = run_clients(server.address, n, rounds)
                    runs.append((wall, (server_cpu_seconds(server.pid) - before) / wall))
                best, used = min(runs)
                results[model][str(n)] = best
                cores[model][str(n)] = used
                if progress:
                    progress(model, n, best)
    return {
        "models": list(models), "clients": list(clients), "rounds": rounds, "work": work,
        "repeats": repeats, "seconds": results, "cpu": cpu, "backlog": backlog, "cores_used": cores,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "system": platform.system()},
    }


def burst(models=("iterative", "threading"), backlogs=(5, 128), clients: int = 32,
          work: float = 0.01, progress=None) -> dict:
    """``clients`` clients arrive at the same moment, one round trip each: per model and backlog.

    Returns ``{"seconds": {model: {str(backlog): wall seconds}}, ...}``.  With
    a small backlog the kernel's queue of completed connections overflows,
    SYNs are dropped, and the clients left out connect only after a SYN
    retransmit (1 s on Linux).
    """
    results: dict[str, dict[str, float]] = {}
    for model in models:
        results[model] = {}
        for backlog in backlogs:
            with running("concurrency_work", "--model", model, "--work", str(work),
                         "--backlog", str(backlog), key=f"burst-{model}") as server:
                run_clients(server.address, 1, 1)  # warm-up
                results[model][str(backlog)] = seconds = run_clients(server.address, clients, 1)
            if progress:
                progress(model, backlog, seconds)
    return {"models": list(models), "backlogs": list(backlogs), "clients": clients, "work": work,
            "seconds": results}


def burst_table(data: dict) -> str:
    lines = [f"{data['clients']} clients at once, one round trip of {data['work'] * 1000:g} ms each: "
             "wall time in ms"]
    lines.append(f"{'backlog':>10} " + "".join(f"{m:>12}" for m in data["models"]))
    for backlog in data["backlogs"]:
        lines.append(f"{backlog:>10} " + "".join(
            f"{data['seconds'][m][str(backlog)] * 1000:>12.0f}" for m in data["models"]))
    return "\n".join(lines)


def table(data: dict) -> str:
    models, clients = data["models"], data["clients"]
    sec = data["seconds"]
    ideal = data["rounds"] * data["work"]
    if data.get("cpu"):
        lines = [f"wall time in ms ({data['rounds']} round trip(s) per client, {data['work'] * 1000:g} ms "
                 f"of CPU-bound computation per request; one core needs clients x {ideal * 1000:.0f} ms)"]
    else:
        lines = [f"wall time in ms ({data['rounds']} round trips per client, "
                 f"{data['work'] * 1000:g} ms of work per request; overlapped ideal {ideal * 1000:.0f} ms)"]
    w = {m: max(11, len(m) + 2) for m in models}
    lines.append("clients " + "".join(f"{m:>{w[m]}}" for m in models))
    for n in clients:
        lines.append(f"{n:>7} " + "".join(f"{sec[m][str(n)] * 1000:>{w[m]}.1f}" for m in models))
    if "iterative" in models:
        lines.append("")
        lines.append("speed-up versus iterative (iterative time / model time)")
        lines.append("clients " + "".join(f"{m:>{w[m]}}" for m in models))
        for n in clients:
            base = sec["iterative"][str(n)]
            lines.append(f"{n:>7} " + "".join(f"{base / sec[m][str(n)]:>{w[m] - 1}.1f}x" for m in models))
    if data.get("cpu") and data.get("cores_used"):
        used = data["cores_used"]
        lines.append("")
        lines.append("cores kept busy by the server (its CPU seconds / wall seconds)")
        lines.append("clients " + "".join(f"{m:>{w[m]}}" for m in models))
        for n in clients:
            lines.append(f"{n:>7} " + "".join(f"{used[m][str(n)]:>{w[m]}.2f}" for m in models))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="K=3 round trips, 1 repeat")
    parser.add_argument("--rounds", type=int, default=None, help="round trips per client (K)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per point, best kept (R)")
    parser.add_argument("--work", type=float, default=0.01, help="seconds of work per request")
    parser.add_argument("--clients", default=",".join(map(str, CLIENTS)),
                        help="comma-separated client counts (each at most 64)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated models")
    parser.add_argument("--cpu", action="store_true", help="CPU-bound work instead of a sleep")
    parser.add_argument("--backlog", type=int, default=None, help="the servers' listen backlog")
    parser.add_argument("--burst", action="store_true",
                        help="only the burst: 32 clients at once, backlog 5 versus 128")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)
    clients = [int(x) for x in args.clients.split(",")]
    if any(not 1 <= n <= 64 for n in clients):
        parser.error("client counts must be between 1 and 64")
    rounds = args.rounds or (3 if args.quick else 10)
    repeats = args.repeats or (1 if args.quick else 3)
    models = [m for m in args.models.split(",") if m]

    def progress(model, n, seconds):
        print(f"  {model:>10} {n:>3} clients: {seconds * 1000:8.1f} ms", file=sys.stderr, flush=True)

    if args.burst:
        data = burst(progress=lambda m, b, s: print(f"  {m:>10} backlog {b:>3}: {s * 1000:8.1f} ms",
                                                    file=sys.stderr, flush=True))
        print(burst_table(data))
    else:
        data = measure(models, clients, rounds, args.work, repeats, progress, cpu=args.cpu,
                       backlog=args.backlog)
        print(table(data))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(data, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
