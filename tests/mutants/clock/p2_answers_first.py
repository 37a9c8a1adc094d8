"""Writes the time as soon as a client connects and only then reads the question.

spec: 2
fails: waits_for_whole_question, time_when_asked, question_per_client
"""
from socketserver import StreamRequestHandler, ThreadingTCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        self.wfile.write(ctime().encode())
        self.wfile.flush()
        question = self.rfile.read(25)
        print("the client asked", question)


if __name__ == "__main__":
    with ThreadingTCPServer(("", PORT), Clock) as server:
        server.serve_forever()
