"""Reads with rfile.read() and no size: it waits for the client to hang up before answering.

spec: 2
fails: answers_question
"""
from socketserver import StreamRequestHandler, ThreadingTCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        question = self.rfile.read()
        if question.strip() == b"What is the time?":
            self.wfile.write(ctime().encode())


if __name__ == "__main__":
    with ThreadingTCPServer(("", PORT), Clock) as server:
        server.serve_forever()
