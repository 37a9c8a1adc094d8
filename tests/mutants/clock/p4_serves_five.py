"""Serves five clients "for testing" and then stops: a for loop where serve_forever() belongs.

spec: 4
fails: several_clients
"""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(ctime().encode())


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        for _ in range(5):
            server.handle_request()
    print("served five clients, bye")
