"""Echo server on a raw socket: socket, bind, listen, accept, recv, sendall, close.

Layer 1 (solutions/01_sockets).  The lowest rung of seed 003's ladder
"socket -> socketserver -> HTTPServer": the server-side steps written out by
hand, one client at a time, every byte received sent back unchanged.

Watch for:

* ``recv()`` returns ``b''`` only when the client closed (or shut down) its
  sending side: that is end-of-file, not "no data yet".  One ``recv()`` is not
  one message: it returns whatever bytes have arrived, up to ``--bufsize``.
* ``send()`` may send fewer bytes than asked; ``sendall()`` loops until all
  are sent.
* Clients are served one after the other: a second client's ``connect()``
  succeeds (the kernel completes it and queues it, up to ``--backlog``), but
  it gets no answer until the first client leaves.
* Without ``--reuseaddr`` a restart on the same port right after a stop can
  fail with ``Address already in use``: connections the server closed first
  linger in TIME_WAIT.  ``--reuseaddr`` sets ``SO_REUSEADDR`` before
  ``bind()``.

Sources: seed 003 (server-side steps); Python docs, "socket -- Low-level
networking interface" (Example) and the "Socket Programming HOWTO".
"""
from __future__ import annotations

import socket

from servers import _runtime


def configure(parser) -> None:
    parser.add_argument("--reuseaddr", action="store_true",
                        help="set SO_REUSEADDR before bind() (allows a quick restart)")
    parser.add_argument("--backlog", type=int, default=5,
                        help="listen() backlog: connections queued while one is served")
    parser.add_argument("--bufsize", type=int, default=1024,
                        help="bytes asked of each recv() (default %(default)s)")


def serve_client(conn: socket.socket, peer, bufsize: int) -> int:
    """Echo everything from ``conn`` until the client closes; return the byte count."""
    total = 0
    while True:
        data = conn.recv(bufsize)
        if not data:  # b'': the client closed its side
            print(f"{peer[0]}:{peer[1]} closed after {total} bytes", flush=True)
            return total
        print(f"received {len(data)} bytes: {data!r}", flush=True)
        conn.sendall(data)
        total += len(data)


def serve(args) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        if args.reuseaddr:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((args.host, args.port))
        listener.listen(args.backlog)
        _runtime.ready(listener.getsockname())
        while True:
            conn, peer = listener.accept()
            with conn:
                print(f"accepted {peer[0]}:{peer[1]}", flush=True)
                try:
                    serve_client(conn, peer, args.bufsize)
                except ConnectionError as exc:  # reset by the peer: serve the next one
                    print(f"{peer[0]}:{peer[1]}: {exc}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
