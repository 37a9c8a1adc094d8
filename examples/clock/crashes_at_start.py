"""Crashes before it listens: TCPServer is given the port alone, not an (address, port) pair."""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        self.rfile.read(25)
        self.wfile.write(ctime().encode())


if __name__ == "__main__":
    server = TCPServer(PORT, Clock)
    server.serve_forever()
