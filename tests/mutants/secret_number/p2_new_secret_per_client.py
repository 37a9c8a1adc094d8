"""Picks a secret at start-up, but the handler "starts a new game" for every client with a fresh random number when SECRET_NUMBER is not set.

spec: 2
fails: random_secret
explore: missed: the explorer always sets SECRET_NUMBER; the random secret is random_secret's
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
FIXED = "SECRET_NUMBER" in os.environ
SECRET = int(os.environ["SECRET_NUMBER"]) if FIXED else random.randint(1, 100)
found = False
lock = threading.Lock()


class Handler(StreamRequestHandler):
    def setup(self):
        super().setup()
        self.secret = SECRET if FIXED else random.randint(1, 100)  # a new game for this player

    def handle(self):
        global found
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            with lock:
                if found:
                    reply = b"secret found\n"
                elif guess == self.secret:
                    found = True
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            self.wfile.write(reply)


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    ThreadingTCPServer.daemon_threads = True
    with ThreadingTCPServer(("", PORT), Handler) as server:
        print("first game's secret picked")
        server.serve_forever()
