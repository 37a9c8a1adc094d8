"""Collects the question in a bytearray that is a class attribute: one buffer for all clients, so bytes a
client left behind when it hung up count towards the next client's question.

spec: 2
fails: question_per_client
"""
from socketserver import BaseRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(BaseRequestHandler):
    received = bytearray()  # the question so far

    def handle(self):
        while len(self.received) < 25:
            piece = self.request.recv(25 - len(self.received))
            if not piece:
                return
            self.received += piece
        self.request.sendall(ctime().encode())
        self.received.clear()  # ready for the next client


if __name__ == "__main__":
    TCPServer.allow_reuse_address = True
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
