"""Pads the answer to 25 bytes with ljust(25), like the question: a trailing space too many.

spec: 3
fails: answers_question
"""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(ctime().ljust(25).encode())


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
