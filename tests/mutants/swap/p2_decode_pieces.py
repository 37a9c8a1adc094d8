"""Decodes each recv() piece as UTF-8 on its own: a piece ending inside a character raises UnicodeDecodeError.

spec: 2
fails: line_in_pieces
"""
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092
lock = threading.Lock()
waiting = None  # (line, event, box for the partner's line)


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global waiting
        text = ""
        while not text.endswith("\n"):
            chunk = self.request.recv(4096)
            if not chunk:
                return
            text += chunk.decode("utf-8")
        line = text.encode("utf-8")
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
            self.wfile.write(reply)
        except OSError:
            pass


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with SwapServer(("", PORT), SwapHandler) as server:
        server.serve_forever()
