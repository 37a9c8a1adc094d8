"""Copies the server's "found" into the handler when a client connects and answers from that copy: a client connected before the secret was found never hears 'secret found'.

spec: 6
fails: one_winner
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093


class GameServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    secret = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
    found = False
    lock = threading.Lock()


class Handler(StreamRequestHandler):
    def setup(self):
        super().setup()
        self.found = self.server.found  # what this player knows

    def handle(self):
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            with self.server.lock:
                if self.found:
                    reply = b"secret found\n"
                elif guess == self.server.secret:
                    self.found = self.server.found = True
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            self.wfile.write(reply)


if __name__ == "__main__":
    with GameServer(("", PORT), Handler) as server:
        server.serve_forever()
