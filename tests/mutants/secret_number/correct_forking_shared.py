"""A ForkingTCPServer that keeps "found" in shared memory (multiprocessing.Value) with its lock.

correct: socketserver.ForkingTCPServer + multiprocessing.Value
"""
import multiprocessing
import os
import random
from socketserver import ForkingTCPServer, StreamRequestHandler

PORT = 12093
SECRET = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
FOUND = multiprocessing.Value("b", 0)  # shared memory: every forked child sees the same byte


class GuessHandler(StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            with FOUND.get_lock():
                if FOUND.value:
                    reply = b"secret found\n"
                elif guess == SECRET:
                    FOUND.value = 1
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            self.wfile.write(reply)


class Server(ForkingTCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    server = Server(("", PORT), GuessHandler)
    print("forking secret number server on", PORT)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()
