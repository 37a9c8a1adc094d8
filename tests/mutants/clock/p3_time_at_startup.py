"""Computes ctime() once at start-up instead of when the client asks.

spec: 3
fails: answers_question, time_when_asked
"""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091
NOW = ctime()


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(NOW.encode())


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
