"""One request/response server, five concurrency models: the benchmark's subject.

What it teaches
    Every request is a line; the server does a fixed amount of *blocking*
    work for it (``--work`` seconds of sleep, 10 ms by default: think of a
    database or disk call) and sends the line back.  Only the concurrency
    model changes (``--model``):

    ``iterative``         socketserver.TCPServer: one client at a time
                          (seed 002's clockserver; a client holds the server
                          for its whole connection)
    ``threading``         ThreadingTCPServer: a thread per connection
    ``forking``           ForkingTCPServer: a process per connection (seeds 001/002)
    ``asyncio``           asyncio.start_server, the wait is ``await asyncio.sleep``
    ``asyncio-blocking``  the same, but the wait is ``time.sleep`` -- the
                          classic mistake: it is as slow as ``iterative``

    ``--cpu`` makes the work CPU-bound instead: ``--work`` seconds of
    computation in pure Python (it holds the GIL), not a sleep.
    ``--backlog N`` sets the listen backlog (socketserver's
    ``request_queue_size``, asyncio's ``backlog``); 128 unless told.

    ``benchmarks/concurrency.py`` measures them under 1..32 concurrent clients.

What to watch for
    * With sleeping (I/O-like) work, threads and asyncio overlap the waits,
      even on one core and despite the GIL.  With ``--cpu`` they do not: the
      threads of one CPython process take turns holding the GIL (unless the
      interpreter is a free-threaded build), asyncio computes on its one
      thread, and only ``forking`` uses several cores.
    * The listen backlog: socketserver's default ``request_queue_size`` is 5.
      When a burst of clients fills the kernel's queue of completed
      connections, Linux drops further SYNs and each of those clients waits
      for its SYN retransmit (1 s, then 2 s, ...).  These servers queue 128;
      ``--backlog 5`` is the stock setting.
    * ForkingMixIn stops accepting at ``max_children`` (40) live children.

Sources: seeds 001/002 (clockserver, forking server), seed 004 (mix-ins,
"see also asyncore"); Python docs: socketserver, asyncio streams.

Run:  python -m servers.concurrency_work --model iterative|threading|forking|asyncio|asyncio-blocking
          [--work 0.01] [--cpu] [--backlog 128]
"""
from __future__ import annotations

import asyncio
import socketserver
import sys
import time

from servers import _layers, _runtime

MODELS = ("iterative", "threading", "forking", "asyncio", "asyncio-blocking")


def compute(seconds: float) -> int:
    """Spend ``seconds`` of this thread's CPU time computing in pure Python.

    The bytecode loop holds the GIL all the time, so threads of one CPython
    process cannot run it in parallel.  Time is the thread's own CPU time
    (``time.thread_time``): a thread waiting for the GIL does not advance it,
    so every request costs the same computation however many run at once.
    """
    end = time.thread_time() + seconds
    total = 0
    while time.thread_time() < end:
        for i in range(2000):
            total += i * i
    return total


class Handler(socketserver.StreamRequestHandler):
    work = 0.01
    cpu = False

    def handle(self):
        for line in self.rfile:
            if self.cpu:
                compute(self.work)  # CPU-bound: threads take turns on the GIL
            else:
                time.sleep(self.work)  # blocking work: fine in a thread or a process
            self.wfile.write(line)


class Iterative(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = _layers.BACKLOG


class Threading(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = _layers.BACKLOG


class Forking(_layers.ParentCheckMixIn, socketserver.ForkingTCPServer):
    allow_reuse_address = True
    request_queue_size = _layers.BACKLOG


async def _serve_asyncio(args) -> None:
    blocking = args.model == "asyncio-blocking"
    clients: set[asyncio.StreamWriter] = set()

    async def handle(reader, writer):
        clients.add(writer)
        try:
            while line := await reader.readline():
                if args.cpu:
                    compute(args.work)  # computing also stops the event loop
                elif blocking:
                    time.sleep(args.work)  # stops the event loop: every client waits
                else:
                    await asyncio.sleep(args.work)
                writer.write(line)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            clients.discard(writer)
            writer.close()

    server = await asyncio.start_server(handle, args.host, args.port, backlog=args.backlog)
    await _layers.serve_asyncio(server, clients)  # until Ctrl-C / SIGTERM, then an orderly close


def configure(parser) -> None:
    parser.add_argument("--model", choices=MODELS, default="iterative")
    parser.add_argument("--work", type=float, default=0.01,
                        help="seconds of blocking work per request (default %(default)s)")
    parser.add_argument("--cpu", action="store_true",
                        help="the work is --work seconds of CPU-bound computation, not a sleep")
    parser.add_argument("--backlog", type=int, default=_layers.BACKLOG,
                        help="listen backlog, request_queue_size (default %(default)s; socketserver's is 5)")


def serve(args) -> None:
    print(f"model={args.model} work={args.work} cpu={args.cpu} backlog={args.backlog}", flush=True)
    if args.model.startswith("asyncio"):
        asyncio.run(_serve_asyncio(args))
        return
    cls = {"iterative": Iterative, "threading": Threading, "forking": Forking}[args.model]
    handler = type("Handler", (Handler,), {"work": args.work, "cpu": args.cpu})
    cls = type(cls.__name__, (cls,), {"request_queue_size": args.backlog})
    with cls((args.host, args.port), handler) as server:
        _runtime.ready(server.server_address)
        server.serve_forever(poll_interval=0.05)


def main(argv: list[str] | None = None) -> None:
    if "forking" in (argv if argv is not None else sys.argv):
        _layers.run_forking(serve, __doc__, argv, configure=configure)  # no watchdog thread
    else:
        _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
