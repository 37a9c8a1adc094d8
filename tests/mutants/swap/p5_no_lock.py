"""Checks and sets the waiting slot without a lock: two lines arriving at once can both become "the waiting one".

spec: 5
fails: many_at_once
explore: missed: its race shows only with forced thread switches (many_at_once's sitecustomize), which the explorer does not use
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092


class Waiting:
    def __init__(self, line):
        self.line = line
        self.partner_line = None
        self.ready = threading.Event()


waiting = None  # the client waiting for a partner


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global waiting
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return
        if waiting is None:
            me = Waiting(line)
            waiting = me
            me.ready.wait()
            self.wfile.write(me.partner_line)
        else:
            partner = waiting
            waiting = None
            partner.partner_line = line
            partner.ready.set()
            self.wfile.write(partner.line)


class Server(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("", PORT), SwapHandler) as server:
        server.serve_forever()
