"""Answers 'Wrong', 'Right' and 'Secret found!' (capitals, an exclamation mark) instead of the exact replies.

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
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            with lock:
                if found:
                    reply = "Secret found!"
                elif guess == SECRET:
                    found = True
                    reply = "Right"
                else:
                    reply = "Wrong"
            self.wfile.write((reply + "\n").encode())


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    ThreadingTCPServer.daemon_threads = True
    with ThreadingTCPServer(("", PORT), Handler) as server:
        server.serve_forever()
