"""Uses one global Event and one global box for every pair, never cleared: the second pair finds them already set.

spec: 5
fails: pairs_in_turn, non_ascii, silent_client, exact_bytes, overlapping_pairs, odd_client_waits, many_at_once, waiting_client_leaves
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092
lock = threading.Lock()
ready = threading.Event()
box = []
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
                waiting = (line, ready, box)
            else:
                waiting = None
        if partner is None:
            ready.wait()
            reply = box[-1]
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
