"""A raw-socket server that sends one message in small pieces, then closes.

Layer 1 (solutions/01_sockets), framing.  TCP carries a stream of bytes, not
messages: how the bytes are cut into ``recv()`` results depends on timing,
buffer sizes and the network, never on how the sender called ``send()``.
This server makes that visible by sending ``--message`` in pieces of
``--chunk`` bytes, pausing ``--delay`` seconds between pieces, and closing
the connection when done ("framing by close": the end of the message is the
end of the stream).

Watch for:

* a client that calls ``recv()`` once gets only the first piece;
* a client must loop until ``recv()`` returns ``b''`` (the server closed) --
  that is the only end-of-message marker this protocol has;
* decoding each piece separately breaks multi-byte UTF-8 characters cut in
  two: join the bytes first, decode once (try ``--message 'héllo wörld'``).

Sources: Python "Socket Programming HOWTO" (Using a Socket: "a protocol
like HTTP uses a socket for only one transfer ... the end of a message is
indicated by receiving 0 bytes"); seed 003 (the server-side steps).
"""
from __future__ import annotations

import socket
import time

from servers import _runtime

MESSAGE = "One recv() is not one message: TCP is a stream of bytes.\n"


def configure(parser) -> None:
    parser.add_argument("--message", default=MESSAGE, help="text to send (UTF-8)")
    parser.add_argument("--chunk", type=int, default=8, help="bytes per send() (default %(default)s)")
    parser.add_argument("--delay", type=float, default=0.02,
                        help="seconds between two pieces (default %(default)s)")


def send_in_pieces(conn: socket.socket, data: bytes, chunk: int, delay: float) -> int:
    """Send ``data`` ``chunk`` bytes at a time, ``delay`` seconds apart; return the piece count."""
    pieces = 0
    for start in range(0, len(data), chunk):
        if pieces:
            time.sleep(delay)
        conn.sendall(data[start:start + chunk])
        pieces += 1
    return pieces


def serve(args) -> None:
    data = args.message.encode("utf-8")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.host, args.port))
        listener.listen(5)
        _runtime.ready(listener.getsockname())
        while True:
            conn, peer = listener.accept()
            with conn:
                try:
                    pieces = send_in_pieces(conn, data, max(1, args.chunk), args.delay)
                except ConnectionError as exc:
                    print(f"{peer[0]}:{peer[1]} left early: {exc}", flush=True)
                    continue
                print(f"sent {len(data)} bytes in {pieces} pieces to {peer[0]}:{peer[1]}, closing",
                      flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
