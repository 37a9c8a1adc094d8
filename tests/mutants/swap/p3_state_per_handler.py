"""Keeps the waiting client in self.waiting: each handler object has its own, so no two clients ever meet.

spec: 3
fails: swaps
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092
lock = threading.Lock()
waiting = None  # (line, event, box for the partner's line)


class SwapHandler(StreamRequestHandler):
    waiting = None  # the client waiting for a partner

    def handle(self):
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return
        with lock:
            partner = self.waiting
            if partner is None:
                box, ready = [], threading.Event()
                self.waiting = (line, ready, box)
            else:
                self.waiting = None
        if partner is None:
            ready.wait()
            reply = box[0]
        else:
            partner_line, partner_ready, partner_box = partner
            partner_box.append(line)
            partner_ready.set()
            reply = partner_line
        try:
            self.wfile.write(reply)
        except OSError:
            pass


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with SwapServer(("", PORT), SwapHandler) as server:
        server.serve_forever()
