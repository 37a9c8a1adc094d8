"""The seed's clockforkclient.py: ask a clock server the time, sleep, ask again.

What it teaches
    A long-lived client (MCS 275 lecture 33, seeds 001/002): it stays
    connected, sends the 25-byte question ``What is the time?`` (padded with
    spaces), prints the answer, sleeps a random while, and repeats.  Several
    of them at once show why the clock server forks: each one keeps a child
    busy for its whole connection.

What to watch for
    * The seed sleeps ``randint(3, 10)`` seconds and loops forever; here the
      sleeps are short (``--sleep-min``/``--sleep-max``, default 0.05-0.2 s)
      and the number of questions is bounded (``--rounds``, default 3).
    * ``recv(25)`` may return part of an answer: read until 25 bytes arrive.

Sources: seeds 001/002 (clockforkclient.py, clockclient.py).

Run:  python -m servers.fork_clock_client --port PORT [--rounds 3] [--sleep-min 0.05] [--sleep-max 0.2]
Use:  from servers.fork_clock_client import ask_times; ask_times(("127.0.0.1", port), rounds=3)
"""
from __future__ import annotations

import argparse
import random
import socket
import time

BUFFER = 25
QUESTION = "What is the time?"


def recv_exactly(sck: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        data = sck.recv(size)
        if not data:
            break
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


def ask_times(address, rounds: int = 3, sleep_min: float = 0.05, sleep_max: float = 0.2,
              timeout: float = 10.0, verbose: bool = False) -> list[str]:
    """Ask ``rounds`` times over one connection; return the answers."""
    answers = []
    with socket.create_connection(address, timeout=timeout) as client:
        if verbose:
            print("client is connected", flush=True)
        for i in range(rounds):
            client.sendall(QUESTION.ljust(BUFFER).encode())
            data = recv_exactly(client, BUFFER).decode().strip()
            if not data:
                raise ConnectionError("the server closed the connection")
            answers.append(data)
            if verbose:
                print(data, flush=True)
            if i + 1 < rounds:
                nap = random.uniform(sleep_min, sleep_max)
                if verbose:
                    print(f"client sleeps for {nap:.2f} seconds", flush=True)
                time.sleep(nap)
    return answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servers.fork_clock_client", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sleep-min", type=float, default=0.05)
    parser.add_argument("--sleep-max", type=float, default=0.2)
    args = parser.parse_args(argv)
    ask_times((args.host, args.port), args.rounds, args.sleep_min, args.sleep_max, verbose=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
