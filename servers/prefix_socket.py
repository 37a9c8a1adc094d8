"""Length-prefixed messages on a raw socket: a 4-byte size, then that many bytes.

Layer 1 (solutions/01_sockets), framing with a length prefix.  Every message,
in both directions, is ``struct.pack("!I", len(payload)) + payload``: an
unsigned 32-bit size in network byte order (big-endian), then the payload.
For every message the server answers with one message holding the payload
reversed.  Reading a message needs ``recv_exactly(n)``: loop until exactly
``n`` bytes have arrived, because ``recv(n)`` may return fewer.

Watch for:

* ``recv(4)`` can return 1, 2 or 3 bytes of the header: read exactly 4;
* the byte order must match on both sides (``"!I"``, not ``"I"``, which is the
  machine's native order);
* a peer that does not speak the protocol sends a "size" that is really text:
  ``b"GET "`` read as a size is 1,195,725,856 bytes.  The server refuses sizes
  above ``--max-size`` and closes the connection instead of trying to read
  1 GB.  It then closes "lingering" (see :func:`lingering_close`): a plain
  ``close()`` with unread input sends RST and the peer sees
  ``ConnectionResetError``.

Sources: Python "Socket Programming HOWTO" (fixed-length header "that
indicates how long the message is"); Python docs ``struct`` (byte order,
``!``); seed 003.
"""
from __future__ import annotations

import socket
import struct

from servers import _runtime

HEADER = struct.Struct("!I")  # 4 bytes, big-endian unsigned size


def configure(parser) -> None:
    parser.add_argument("--max-size", type=int, default=1 << 20,
                        help="largest payload accepted, in bytes (default %(default)s)")


def recv_exactly(conn: socket.socket, n: int) -> bytes:
    """Return exactly ``n`` bytes from ``conn``; b'' if the peer closed before the first byte.

    Raises EOFError if the peer closes in the middle.
    """
    parts, got = [], 0
    while got < n:
        data = conn.recv(n - got)
        if not data:
            if got == 0:
                return b""
            raise EOFError(f"peer closed after {got} of {n} bytes")
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def frame(payload: bytes) -> bytes:
    """One message on the wire: the 4-byte size, then ``payload``."""
    return HEADER.pack(len(payload)) + payload


def serve_client(conn: socket.socket, max_size: int) -> int:
    """Answer messages from ``conn`` until it closes; return the message count."""
    count = 0
    while True:
        header = recv_exactly(conn, HEADER.size)
        if not header:
            return count
        (size,) = HEADER.unpack(header)
        if size > max_size:
            print(f"refusing a {size}-byte message (header {header!r}); closing", flush=True)
            lingering_close(conn)
            return count
        payload = recv_exactly(conn, size)
        if len(payload) < size:  # size 0 is a valid empty message
            raise EOFError("peer closed inside a message")
        print(f"message {count + 1}: {size} bytes", flush=True)
        conn.sendall(frame(payload[::-1]))
        count += 1


def lingering_close(conn: socket.socket, timeout: float = 1.0, limit: int = 1 << 20) -> None:
    """Half-close ``conn``, then read and discard what the peer still sends.

    Closing a socket that still has unread input makes the kernel send RST
    instead of FIN, and the peer may lose the reply sent just before
    ("Connection reset by peer").  Waits at most ``timeout`` seconds and
    discards at most ``limit`` bytes.
    """
    try:
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(timeout)
        while limit > 0:
            data = conn.recv(65536)
            if not data:
                break
            limit -= len(data)
    except OSError:  # includes the timeout
        pass


def serve(args) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.host, args.port))
        listener.listen(5)
        _runtime.ready(listener.getsockname())
        while True:
            conn, peer = listener.accept()
            with conn:
                try:
                    count = serve_client(conn, args.max_size)
                except (ConnectionError, EOFError) as exc:
                    print(f"{peer[0]}:{peer[1]}: {exc}", flush=True)
                    continue
                print(f"answered {count} messages for {peer[0]}:{peer[1]}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
