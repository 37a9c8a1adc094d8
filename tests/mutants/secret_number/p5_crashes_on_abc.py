"""Does not catch ValueError: int(b"abc") ends the handler, and the client is hung up on without a reply.

spec: 5
fails: malformed_guesses
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
SECRET = int(os.getenv("SECRET_NUMBER", random.randint(1, 100)))
state = {"found": False}
lock = threading.Lock()


class Handler(StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                break
            guess = int(line)
            with lock:
                if state["found"]:
                    answer = "secret found"
                elif guess == SECRET:
                    state["found"] = True
                    answer = "right"
                else:
                    answer = "wrong"
            self.wfile.write((answer + "\n").encode())


class Server(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("", PORT), Handler) as server:
        server.serve_forever()
