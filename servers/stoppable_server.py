"""How a ``socketserver`` server stops: ``shutdown()``, ``server_close()``, ``with``.

Layer 2 (solutions/02_socketserver).  A line server: a client sends one line
and gets ``ok <line>`` back -- except the line ``stop``, which answers
``stopping`` and asks the server to stop.  Stopping takes two calls:

* ``server.shutdown()`` tells ``serve_forever()`` to return, and waits until
  it has.  It must be called from *another* thread than the one running
  ``serve_forever()``: here the handler starts a thread for it;
* ``server.server_close()`` closes the listening socket (the port is free
  again).  The ``with`` statement calls it on the way out.

The server logs each step, then the process exits with status 0.

Watch for:

* ``--deadlock`` calls ``shutdown()`` directly in the handler, that is in the
  ``serve_forever()`` thread: ``shutdown()`` waits for ``serve_forever()`` to
  return, which waits for the handler to return -- forever.  The client
  never sees its connection close; only a signal ends the process;
* ``shutdown()`` on a server whose ``serve_forever()`` is not running blocks
  forever too;
* after ``shutdown()`` without ``server_close()`` the socket is still bound
  and listening: clients connect and hang (the backlog queues them).

Sources: Python docs "socketserver" (shutdown(), server_close(), "Changed in
version 3.6: support for the context manager protocol"); seed 001 (the
seed's Ctrl-C handler closing ``ss.socket``); seed 004 (a server in a
thread).
"""
from __future__ import annotations

import socketserver
import threading

from servers import _runtime


class LineHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(1024).strip()
        if line != b"stop":
            self.wfile.write(b"ok " + line + b"\n")
            return
        self.wfile.write(b"stopping\n")
        name = threading.current_thread().name
        if self.server.deadlock:
            print(f"calling shutdown() in {name}, the serve_forever() thread ...", flush=True)
            self.server.shutdown()  # never returns
        else:
            print(f"starting a thread to call shutdown() (handler runs in {name})", flush=True)
            threading.Thread(target=self.server.shutdown, name="stopper", daemon=True).start()


def configure(parser) -> None:
    parser.add_argument("--deadlock", action="store_true",
                        help="call shutdown() from the handler itself (hangs)")


def serve(args) -> None:
    with socketserver.TCPServer((args.host, args.port), LineHandler) as server:
        server.deadlock = args.deadlock
        _runtime.ready(server.server_address)
        server.serve_forever()
        print("serve_forever() returned", flush=True)
    print("server_close() done (end of the with block): the port is free", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Run the server (see the module docstring); default port 0."""
    _runtime.run(serve, __doc__, argv, configure=configure)


if __name__ == "__main__":
    main()
