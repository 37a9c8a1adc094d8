"""Sends the partner's string without its newline (rstrip()s it first).

spec: 4
fails: swaps, exact_bytes
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092
lock = threading.Lock()
waiting = None  # (line, event, box for the partner's line)


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global waiting
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return
        with lock:
            partner = waiting
            if partner is None:
                box, ready = [], threading.Event()
                waiting = (line, ready, box)
            else:
                waiting = None
        if partner is None:
            ready.wait()
            reply = box[0]
        else:
            partner_line, partner_ready, partner_box = partner
            partner_box.append(line)
            partner_ready.set()
            reply = partner_line
        try:
            self.wfile.write(reply.rstrip(b"\n"))
        except OSError:
            pass


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with SwapServer(("", PORT), SwapHandler) as server:
        server.serve_forever()
