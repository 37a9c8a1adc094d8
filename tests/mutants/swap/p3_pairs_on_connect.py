"""Pairs clients in the order they connect, not in the order their lines arrive.

spec: 3
fails: silent_client
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092


class Pair:
    """Two clients that connected one after the other."""

    def __init__(self):
        self.lines = [None, None]
        self.arrived = [threading.Event(), threading.Event()]


lock = threading.Lock()
open_pair = None  # a pair with one client so far


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global open_pair
        with lock:  # the partner is fixed as soon as the client connects
            if open_pair is None:
                pair, me = Pair(), 0
                open_pair = pair
            else:
                pair, me = open_pair, 1
                open_pair = None
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return
        pair.lines[me] = line
        pair.arrived[me].set()
        pair.arrived[1 - me].wait()
        try:
            self.wfile.write(pair.lines[1 - me])
        except OSError:
            pass


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with SwapServer(("", PORT), SwapHandler) as server:
        server.serve_forever()
