"""Calls handle_request() instead of serve_forever(): it serves one client and exits.

spec: 4
fails: several_clients, silent_client, abrupt_client
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
        server.handle_request()
