"""Checks the line with a regular expression before int(): ' 5', a tab or a CR before the newline do not match, so they get an error line.

spec: 3
fails: number_forms
"""
import os
import random
import re
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER", random.randint(1, 100)))
NUMBER = re.compile(rb"[+-]?[0-9]+")
found = False
lock = threading.Lock()


class Handler(StreamRequestHandler):
    def handle(self):
        global found
        for line in self.rfile:
            line = line.rstrip(b"\n")
            if not NUMBER.fullmatch(line):
                self.wfile.write(b"error: send a whole number\n")
                continue
            try:
                guess = int(line)
            except ValueError:  # thousands of digits
                self.wfile.write(b"error: too many digits\n")
                continue
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
