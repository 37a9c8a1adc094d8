"""Picks the secret with random.randrange(100): 0 to 99, so the secret can be 0 and never 100.

spec: 2
fails: random_secret
explore: missed: the explorer always sets SECRET_NUMBER; the random secret is random_secret's
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
if os.getenv("SECRET_NUMBER"):
    SECRET = int(os.getenv("SECRET_NUMBER"))
else:
    SECRET = random.randrange(100)
found = False
lock = threading.Lock()


class Handler(StreamRequestHandler):
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
                elif guess == SECRET:
                    found = True
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            self.wfile.write(reply)


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    ThreadingTCPServer.daemon_threads = True
    with ThreadingTCPServer(("", PORT), Handler) as server:
        server.serve_forever()
