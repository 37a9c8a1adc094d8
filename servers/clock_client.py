"""The seed's clock client: send a 25-byte question, print the time.

Layer 2 (solutions/02_socketserver); talks to :mod:`servers.clock_server`.
Run ``python -m servers.clock_client --port PORT``.  Not a server: it has no
readiness line.

Watch for:

* the question is padded with spaces to exactly 25 bytes because the server
  reads exactly 25 (``rfile.read(25)``); ``--no-pad`` sends the bare
  17-byte question and shows the hang, cut short by ``--timeout``;
* ``recv(25)`` is called once, as in the seed: the 24-byte answer arrives in
  one piece on a loopback connection, but that is luck, not a guarantee --
  :func:`ask_time` reads until the server closes instead.

Sources: seed 001 / seed 002 (clockclient.py); Python docs "socket".
"""
from __future__ import annotations

import argparse
import socket
import sys

HOSTNAME = "localhost"
PORTNUMBER = 12091  # the seed's port
BUFFER = 25
QUESTION = "What is the time?"


def pad(question: str, size: int = BUFFER) -> bytes:
    """``question`` encoded and padded with spaces to exactly ``size`` bytes.

    Raises ValueError if it is longer than ``size`` bytes.
    """
    data = question.encode()
    if len(data) > size:
        raise ValueError(f"question is {len(data)} bytes, more than {size}")
    return data + b" " * (size - len(data))


def ask_time(address: tuple[str, int], question: str = QUESTION, *, padded: bool = True,
             timeout: float = 5.0) -> str:
    """Ask the clock server at ``address`` for the time; return its answer.

    ``padded=False`` sends the question unpadded (the 25-byte trap).  Raises
    TimeoutError if no complete answer comes within ``timeout`` seconds,
    ConnectionRefusedError if no server listens.
    """
    with socket.create_connection(address, timeout=timeout) as client:
        client.sendall(pad(question) if padded else question.encode())
        chunks = []
        while chunk := client.recv(BUFFER):
            chunks.append(chunk)
    return b"".join(chunks).decode()


def main(argv: list[str] | None = None) -> int:
    """Command line: print "client is connected" and the time; return the exit status."""
    parser = argparse.ArgumentParser(description="Ask the clock server for the time.")
    parser.add_argument("--host", default=HOSTNAME)
    parser.add_argument("--port", type=int, default=PORTNUMBER)
    parser.add_argument("--no-pad", action="store_true", help="send 17 bytes instead of 25")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to wait (default 5)")
    args = parser.parse_args(argv)
    with socket.create_connection((args.host, args.port), timeout=args.timeout) as client:
        print("client is connected", flush=True)
        data = QUESTION.encode() if args.no_pad else pad(QUESTION)
        client.sendall(data)
        try:
            answer = client.recv(BUFFER)
        except TimeoutError:
            print(f"no answer within {args.timeout} s (sent {len(data)} bytes, "
                  f"the server reads {BUFFER})", file=sys.stderr, flush=True)
            return 1
    print(answer.decode(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
