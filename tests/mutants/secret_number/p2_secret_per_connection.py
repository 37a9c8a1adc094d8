"""Picks the secret in handle(), once for every connection, when SECRET_NUMBER is not set: each client guesses another number.

spec: 2
fails: random_secret
explore: missed: the explorer always sets SECRET_NUMBER; the random secret is random_secret's
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
found = False
lock = threading.Lock()


def pick_secret():
    if "SECRET_NUMBER" in os.environ:
        return int(os.environ["SECRET_NUMBER"])
    return random.randint(1, 100)


class Handler(StreamRequestHandler):
    def handle(self):
        global found
        secret = pick_secret()
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            with lock:
                if found:
                    reply = b"secret found\n"
                elif guess == secret:
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
