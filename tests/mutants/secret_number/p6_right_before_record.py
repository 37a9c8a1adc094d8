"""No lock: a handler sends 'right' first and only then records found = True, so two clients that send the secret at the same moment can both hear 'right'.

spec: 6
fails: one_winner
explore: missed: its race shows only when sending 'right' is held up (one_winner's sitecustomize); the explorer sends one step at a time
"""
import os
import random
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
if "SECRET_NUMBER" in os.environ:
    SECRET = int(os.environ["SECRET_NUMBER"])
else:
    SECRET = random.randint(1, 100)
found = False


class GuessHandler(StreamRequestHandler):
    def handle(self):
        global found
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
                continue
            if found:
                self.wfile.write(b"secret found\n")
            elif guess == SECRET:
                self.wfile.write(b"right\n")
                found = True  # the winner is told first, then it is recorded
            else:
                self.wfile.write(b"wrong\n")


class Server(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("", PORT), GuessHandler) as server:
        print("secret number server on port", PORT)
        server.serve_forever()
