"""A ThreadingTCPServer whose handlers meet through a lock-guarded slot and a threading.Event.

correct: socketserver.ThreadingTCPServer
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092


class Waiting:
    """A client whose line has arrived, waiting for a partner."""

    def __init__(self, line):
        self.line = line
        self.partner_line = None
        self.ready = threading.Event()


lock = threading.Lock()
waiting = None


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global waiting
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return  # hung up before its line was complete
        with lock:
            partner = waiting
            if partner is None:
                me = waiting = Waiting(line)
            else:
                waiting = None
        if partner is None:
            me.ready.wait()
            reply = me.partner_line
        else:
            partner.partner_line = line
            partner.ready.set()
            reply = partner.line
        try:
            self.wfile.write(reply)
        except OSError as exc:
            print("client went away:", exc)


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with SwapServer(("", PORT), SwapHandler) as server:
        server.serve_forever()
