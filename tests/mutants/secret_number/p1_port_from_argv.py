"""Takes the port from the command line, with 8000 as the default; the grader runs it with no arguments.

spec: 1
fails: uses_port
"""
import os
import random
import sys
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8000
SECRET = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)


class Game:
    found = False
    lock = threading.Lock()


class Handler(StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: not a number\n")
                continue
            with Game.lock:
                if Game.found:
                    self.wfile.write(b"secret found\n")
                elif guess == SECRET:
                    Game.found = True
                    self.wfile.write(b"right\n")
                else:
                    self.wfile.write(b"wrong\n")


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    server = ThreadingTCPServer(("", PORT), Handler)
    print("usage: python secret_number_server.py [PORT]; listening on", PORT)
    server.serve_forever()
