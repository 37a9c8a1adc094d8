"""Took the lecture's "instead of TCPServer, we can use UDPServer": a UDP server, so nothing listens on a TCP port.

spec: 1
fails: starts
"""
import os
import random
import threading
from socketserver import DatagramRequestHandler, ThreadingUDPServer

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER", random.randint(1, 100)))
found = False
lock = threading.Lock()


class Handler(DatagramRequestHandler):
    def handle(self):
        global found
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: send a whole number\n")
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
    server = ThreadingUDPServer(("", PORT), Handler)
    print("server is listening to", PORT)
    server.serve_forever()
