"""The secret number server: ThreadingTCPServer, "found" shared by all threads under a lock."""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093


class SecretServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address, handler, secret):
        super().__init__(address, handler)
        self.secret = secret
        self.found = False
        self.lock = threading.Lock()

    def judge(self, guess):
        with self.lock:
            if self.found:
                return b"secret found\n"
            if guess == self.secret:
                self.found = True
                return b"right\n"
            return b"wrong\n"


class GuessHandler(StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                reply = b"error: send a whole number\n"
            else:
                reply = self.server.judge(guess)
            self.wfile.write(reply)


def main():
    if "SECRET_NUMBER" in os.environ:
        secret = int(os.environ["SECRET_NUMBER"])
    else:
        secret = random.randint(1, 100)
    with SecretServer(("", PORT), GuessHandler, secret) as server:
        print("secret number server on port", PORT, flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
