"""Greets every client with a welcome line when it connects: every reply after it is read one guess late.

spec: 4
fails: answers_guesses
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER", random.randint(1, 100)))
found = False
lock = threading.Lock()


class Handler(StreamRequestHandler):
    def handle(self):
        global found
        self.wfile.write(b"welcome to the secret number game! guess a number from 1 to 100\n")
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
