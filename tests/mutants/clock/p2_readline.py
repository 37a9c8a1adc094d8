"""Reads the question with rfile.readline(): it waits for a newline that never comes.

spec: 2
fails: answers_question
"""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        question = self.rfile.readline().strip()
        print("asked:", question)
        self.wfile.write(ctime().encode())


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
