"""Takes a second before it listens (it "loads" something first), then serves like the threading server.

correct: socketserver.ThreadingTCPServer, slow start-up
"""
import os
import random
import threading
import time
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093


def load_secret():
    time.sleep(1.0)  # pretend to read it from somewhere slow
    if "SECRET_NUMBER" in os.environ:
        return int(os.environ["SECRET_NUMBER"])
    return random.randint(1, 100)


SECRET = load_secret()
game = {"found": False}
lock = threading.Lock()


class Handler(StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            with lock:
                reply = b"secret found\n" if game["found"] else b"right\n" if guess == SECRET else b"wrong\n"
                if reply == b"right\n":
                    game["found"] = True
            self.wfile.write(reply)


if __name__ == "__main__":
    ThreadingTCPServer.daemon_threads = True
    with ThreadingTCPServer(("", PORT), Handler) as server:
        server.serve_forever()
