"""Keeps "found" on the handler: self.found = True makes an attribute of this handler object only (one per connection); the next client's handler still sees the class attribute, False.

spec: 6
fails: found_for_everyone, one_winner
"""
import os
import random
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093


class Handler(StreamRequestHandler):
    secret = int(os.environ.get("SECRET_NUMBER", "0")) or random.randint(1, 100)
    found = False
    lock = threading.Lock()

    def handle(self):
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: whole numbers only\n")
                continue
            with self.lock:
                if self.found:
                    reply = b"secret found\n"
                elif guess == self.secret:
                    self.found = True
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            self.wfile.write(reply)


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    ThreadingTCPServer(("", PORT), Handler).serve_forever()
