"""Reads the environment variable SECRET instead of SECRET_NUMBER, so the grader's secret is never used.

spec: 2
fails: secret_from_env
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093


class SecretServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, handler):
        super().__init__(address, handler)
        self.secret = int(os.environ["SECRET"]) if "SECRET" in os.environ else random.randint(1, 100)
        self.found = False
        self.lock = threading.Lock()


class Handler(StreamRequestHandler):
    def handle(self):
        game = self.server
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            with game.lock:
                if game.found:
                    reply = b"secret found\n"
                elif guess == game.secret:
                    game.found = True
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            self.wfile.write(reply)


if __name__ == "__main__":
    with SecretServer(("", PORT), Handler) as server:
        server.serve_forever()
