"""Issue 23's buggy swap server: a single recv(1024) and no lock (fails 4 of 14 checks)."""
import threading
from socketserver import BaseRequestHandler, ThreadingTCPServer

PORT = 12092
waiting = []


class SwapHandler(BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024)
        partner = waiting.pop() if waiting else None
        if partner is None:
            box, ready = [], threading.Event()
            waiting.append((data, box, ready))
        if partner is not None:
            partner_data, box, ready = partner
            box.append(data)
            ready.set()
            self.request.sendall(partner_data)
        else:
            ready.wait()
            self.request.sendall(box[0])


class Server(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    Server(("", PORT), SwapHandler).serve_forever()
