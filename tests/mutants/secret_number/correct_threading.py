"""A ThreadingTCPServer whose server object holds the game; every guess is judged under a lock.

correct: socketserver.ThreadingTCPServer
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093


class GameServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, handler):
        super().__init__(address, handler)
        if "SECRET_NUMBER" in os.environ:
            self.secret = int(os.environ["SECRET_NUMBER"])
        else:
            self.secret = random.randint(1, 100)
        self.found = False
        self.lock = threading.Lock()

    def judge(self, number):
        with self.lock:
            if self.found:
                return "secret found"
            if number == self.secret:
                self.found = True
                return "right"
            return "wrong"


class GuessHandler(StreamRequestHandler):
    def handle(self):
        for raw in self.rfile:
            try:
                number = int(raw)
            except ValueError:
                answer = "error: that is not a whole number"
            else:
                answer = self.server.judge(number)
            self.wfile.write(answer.encode() + b"\n")


if __name__ == "__main__":
    with GameServer(("", PORT), GuessHandler) as server:
        server.serve_forever()
