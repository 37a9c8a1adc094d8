"""Listens on port 12901: two digits of 12091 swapped.

spec: 1
fails: uses_port
"""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12901


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(ctime().encode())


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
