"""After the secret is found, answers 'secret found' only to the secret itself; other numbers still hear 'wrong'.

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
                if guess != SECRET:
                    reply = b"wrong\n"
                elif found:
                    reply = b"secret found\n"
                else:
                    found = True
                    reply = b"right\n"
            self.wfile.write(reply)


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    ThreadingTCPServer.daemon_threads = True
    with ThreadingTCPServer(("", PORT), Handler) as server:
        server.serve_forever()
