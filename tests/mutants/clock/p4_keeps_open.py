"""Keeps each connection open to answer more questions on it, until the client hangs up.

spec: 4
fails: closes_connection
"""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        while True:
            question = self.rfile.read(25)
            if len(question) < 25:
                return
            self.wfile.write(ctime().encode())


if __name__ == "__main__":
    TCPServer.allow_reuse_address = True
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
