"""The second client's handler writes to the waiting client first: if that one has left, the error ends the handler before its own reply.

spec: 6
fails: waiting_client_leaves
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092
lock = threading.Lock()
waiting = None  # (line, connection, event set when it has been answered)


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global waiting
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return
        with lock:
            partner = waiting
            if partner is None:
                done = threading.Event()
                waiting = (line, self.request, done)
            else:
                waiting = None
        if partner is None:
            done.wait()  # the partner's handler answers us
            return
        partner_line, partner_conn, partner_done = partner
        try:
            partner_conn.sendall(line)
            self.wfile.write(partner_line)
        finally:
            partner_done.set()


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with SwapServer(("", PORT), SwapHandler) as server:
        server.serve_forever()
