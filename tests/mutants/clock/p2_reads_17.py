"""Reads len("What is the time?") = 17 bytes, forgetting the padding: it answers after 17 of 25 bytes.

spec: 2
fails: waits_for_whole_question, question_per_client
"""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091
QUESTION = "What is the time?"


class Clock(StreamRequestHandler):
    def handle(self):
        question = self.rfile.read(len(QUESTION))
        if len(question) == len(QUESTION):
            self.wfile.write(ctime().encode())


if __name__ == "__main__":
    TCPServer.allow_reuse_address = True
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
