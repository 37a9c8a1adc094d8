"""Prints a lot (every byte it reads, to stdout and stderr) and binds 127.0.0.1; otherwise the threading server.

correct: socketserver.ThreadingTCPServer, chatty, bound to 127.0.0.1
"""
import os
import random
import sys
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12093
SECRET = int(os.getenv("SECRET_NUMBER", random.randint(1, 100)))
found = threading.Event()
lock = threading.Lock()

print("=" * 70)
print("secret number server, secret", SECRET, "(do not tell)")
print("=" * 70)
for n in range(200):
    print(f"warming up {n}: " + "." * 60)


class Chatty(StreamRequestHandler):
    def setup(self):
        super().setup()
        print(f"[{self.client_address}] hello", file=sys.stderr)

    def handle(self):
        while True:
            line = self.rfile.readline()
            print(f"[{self.client_address}] read {line!r}")
            if not line:
                break
            try:
                number = int(line)
            except ValueError:
                print(f"[{self.client_address}] not a number", file=sys.stderr)
                self.wfile.write(b"error: whole numbers only\n")
                continue
            with lock:
                if found.is_set():
                    reply = b"secret found\n"
                elif number == SECRET:
                    found.set()
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            print(f"[{self.client_address}] says {reply!r}")
            self.wfile.write(reply)

    def finish(self):
        super().finish()
        print(f"[{self.client_address}] bye", file=sys.stderr)


class Server(ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    with Server(("127.0.0.1", PORT), Chatty) as server:
        print("listening on 127.0.0.1 port", PORT, flush=True)
        server.serve_forever()
