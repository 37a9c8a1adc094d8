"""Line-delimited protocol on a raw socket: one reply per ``\\n``-terminated line.

Layer 1 (solutions/01_sockets), framing with a delimiter.  The client sends
lines of UTF-8 text, each ending in ``b"\\n"``; for every complete line the
server sends back the line in upper case, also ending in ``b"\\n"``.  The
server keeps a buffer: one ``recv()`` may bring half a line, or three lines
and a half, and only complete lines are answered.

Watch for:

* a line without its final ``\\n`` is never answered: the server is still
  waiting for the rest (a client that forgets the newline hangs);
* a peer that never sends a newline would grow the buffer without bound: the
  server drops a connection whose line exceeds ``--max-line`` bytes, after
  replying ``ERROR line too long`` and a lingering close (a plain ``close()``
  with unread input sends RST: the client would get ``ConnectionResetError``
  instead of the reply; ``--plain-close`` shows that happening);
* bytes are split on ``b"\\n"`` *before* decoding, so a multi-byte character
  cut by a ``recv()`` boundary is reassembled first.

Sources: Python "Socket Programming HOWTO" (messages must "be delimited
(shrug)"); seed 003 (server-side steps); the same framing as
``socket.makefile().readline()`` and ``StreamRequestHandler.rfile.readline()``
(layer 2).
"""
from __future__ import annotations

import socket

from servers import _runtime


def configure(parser) -> None:
    parser.add_argument("--max-line", type=int, default=4096,
                        help="longest line accepted, in bytes (default %(default)s)")
    parser.add_argument("--bufsize", type=int, default=1024, help="bytes asked of each recv()")
    parser.add_argument("--plain-close", action="store_true",
                        help="drop a client with a plain close() (shows the RST pitfall)")


def split_lines(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Split ``buffer`` into complete lines (without ``\\n``) and the incomplete rest."""
    *lines, rest = buffer.split(b"\n")
    return lines, rest


def serve_client(conn: socket.socket, bufsize: int, max_line: int, linger: bool = True) -> int:
    """Answer every line from ``conn`` until the client closes; return the line count."""
    buffer, count = b"", 0
    while True:
        data = conn.recv(bufsize)
        if not data:
            if buffer:
                print(f"client closed with an unterminated line: {buffer!r}", flush=True)
            return count
        print(f"recv() -> {data!r}", flush=True)
        lines, buffer = split_lines(buffer + data)
        for line in lines:
            conn.sendall(line.decode("utf-8", errors="replace").upper().encode("utf-8") + b"\n")
            count += 1
        if len(buffer) > max_line:
            conn.sendall(b"ERROR line too long\n")
            print(f"dropping client: {len(buffer)} bytes without a newline", flush=True)
            if linger:
                lingering_close(conn)
            return count


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
                    count = serve_client(conn, args.bufsize, args.max_line, not args.plain_close)
                except ConnectionError as exc:
                    print(f"{peer[0]}:{peer[1]}: {exc}", flush=True)
                    continue
                print(f"answered {count} lines for {peer[0]}:{peer[1]}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
