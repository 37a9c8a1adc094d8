"""Reads one line per connection, like the lecture's clock server reads one question, and then hangs up.

spec: 3
fails: several_guesses
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
        line = self.rfile.readline()
        try:
            guess = int(line)
        except ValueError:
            self.wfile.write(b"error: send a whole number\n")
            return
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
