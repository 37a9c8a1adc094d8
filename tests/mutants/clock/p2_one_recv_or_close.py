"""One recv(25), and hangs up when fewer than 25 bytes came: a question in pieces gets no answer.

spec: 2
fails: waits_for_whole_question, question_per_client
"""
from socketserver import BaseRequestHandler, ThreadingTCPServer
from time import ctime

PORT = 12091


class Clock(BaseRequestHandler):
    def handle(self):
        question = self.request.recv(25)
        if len(question) != 25:
            print("incomplete question", question)
            return
        self.request.sendall(ctime().encode())


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    with ThreadingTCPServer(("", PORT), Clock) as server:
        server.serve_forever()
