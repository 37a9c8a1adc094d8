"""The same echo/clock server with asyncio.start_server: one coroutine per client.

What it teaches
    ``asyncio`` (Python 3.4+, ``async``/``await`` since 3.5) is the standard
    library's answer to "asynchronous servers that do not block" -- the job
    seed 004 gave to the removed ``asyncore``.  The event loop is the
    ``selectors`` loop of ``select_echo``, and each client gets a coroutine
    that reads like blocking code: ``await reader.readline()`` gives the
    loop to other clients until a line arrives.  Same protocol as
    ``select_echo``: lines are echoed back, ``TIME`` gets ``time.ctime()``.

What to watch for
    * Only ``await`` lets other clients run.  A blocking call inside a
      coroutine (``time.sleep``, ``socket.recv``, ``requests.get``, a long
      loop) freezes the whole server.  ``--blocking-delay S`` adds a
      ``time.sleep(S)`` per line to show it; ``--delay S`` adds the correct
      ``await asyncio.sleep(S)``.  Blocking work belongs in
      ``asyncio.to_thread`` or an executor.
    * ``writer.write`` only buffers: ``await writer.drain()`` applies
      back-pressure; close with ``writer.close(); await writer.wait_closed()``.
    * ``readline`` raises ``ValueError``/``LimitOverrunError`` past its
      ``limit`` (64 KiB): that bounds memory per client.

Sources: seed 004 ("see also asyncore"); Python docs: asyncio "Streams"
(start_server, StreamReader/StreamWriter, the TCP echo server example),
"Developing with asyncio" (blocking code), PEP 3156, PEP 492.

Run:  python -m servers.async_echo [--delay S | --blocking-delay S]
"""
from __future__ import annotations

import asyncio
import time

from servers import _layers, _runtime


CLIENTS: set[asyncio.StreamWriter] = set()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float,
                 blocking_delay: float) -> None:
    peer = writer.get_extra_info("peername")
    CLIENTS.add(writer)
    try:
        while True:
            try:
                line = await reader.readline()
            except (ValueError, ConnectionError):
                break
            if not line:
                break
            if delay:
                await asyncio.sleep(delay)  # other clients run meanwhile
            if blocking_delay:
                time.sleep(blocking_delay)  # WRONG in a coroutine: the whole loop stops
            reply = time.ctime().encode() + b"\n" if line.strip() == b"TIME" else line
            writer.write(reply)
            await writer.drain()
    finally:
        CLIENTS.discard(writer)
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass
        print(f"closed {peer[0]}:{peer[1]}", flush=True)


async def amain(args) -> None:
    server = await asyncio.start_server(
        lambda r, w: handle(r, w, args.delay, args.blocking_delay),
        args.host, args.port, backlog=_layers.BACKLOG)
    # Serve until Ctrl-C or SIGTERM; then stop accepting, close the connections, and wait
    # (bounded) for them -- see _layers.serve_asyncio for why the order matters.
    await _layers.serve_asyncio(server, CLIENTS)


def configure(parser) -> None:
    parser.add_argument("--delay", type=float, default=0.0, help="await asyncio.sleep(S) per line")
    parser.add_argument("--blocking-delay", type=float, default=0.0,
                        help="time.sleep(S) per line: the mistake that stalls every client")


def serve(args) -> None:
    asyncio.run(amain(args))


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
