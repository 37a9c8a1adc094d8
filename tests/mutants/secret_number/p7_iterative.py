"""The lecture's plain TCPServer: one client at a time, so a client that stays connected keeps everyone else waiting.

spec: 7
fails: concurrent_guessers
"""
import os
import random
from socketserver import StreamRequestHandler, TCPServer

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER", random.randint(1, 100)))
found = False


class Handler(StreamRequestHandler):
    def handle(self):
        global found
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: a whole number, please\n")
                continue
            if found:
                self.wfile.write(b"secret found\n")
            elif guess == SECRET:
                found = True
                self.wfile.write(b"right\n")
            else:
                self.wfile.write(b"wrong\n")


if __name__ == "__main__":
    TCPServer.allow_reuse_address = True
    server = TCPServer(("", PORT), Handler)
    print("server is listening to", PORT)
    server.serve_forever()
