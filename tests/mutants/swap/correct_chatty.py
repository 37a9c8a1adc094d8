"""Prints every step (a lot), starts slowly (0.5 s), binds '127.0.0.1', pairs through a queue.Queue.

correct: socketserver.ThreadingTCPServer, chatty and slow to start
"""
import queue
import threading
import time
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092
lock = threading.Lock()
waiting = None  # (line, queue for the partner's line)


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global waiting
        print("client", self.client_address, "connected")
        line = self.rfile.readline()
        print("client", self.client_address, "sent", repr(line)[:80], "and", len(line), "bytes in all")
        if not line.endswith(b"\n"):
            print("no newline: the client left")
            return
        with lock:
            if waiting is None:
                mine = queue.Queue()
                waiting = (line, mine)
                partner_line = None
            else:
                (partner_line, theirs), waiting = waiting, None
        if partner_line is None:
            print("waiting for a partner...")
            reply = mine.get()
        else:
            theirs.put(line)
            reply = partner_line
        for n in range(20):
            print("sending", n, "of 20 (not really: this is just noise)")
        try:
            self.wfile.write(reply)
        except OSError as exc:
            print("could not send:", exc)
        print("done with", self.client_address)


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    print("loading...")
    time.sleep(0.5)
    with SwapServer(("127.0.0.1", PORT), SwapHandler) as server:
        print("listening on", PORT)
        server.serve_forever()
