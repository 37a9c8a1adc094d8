"""Binds an IPv6 socket to '::1' only: the lecture's client, connecting to 127.0.0.1, is refused.

spec: 1
fails: uses_port
"""
import socket
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(ctime().encode())


class Server6(TCPServer):
    address_family = socket.AF_INET6
    allow_reuse_address = True


if __name__ == "__main__":
    with Server6(("::1", PORT), Clock) as server:
        server.serve_forever()
