"""Accepts clients and reads the question, but never writes an answer (a forgotten wfile.write)."""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        question = self.rfile.read(25)
        now = ctime()
        print("read", question, "- the time is", now)   # printed, but never sent


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
