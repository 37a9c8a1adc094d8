"""A process per client with socketserver.ForkingTCPServer (nothing to share between clients).

correct: socketserver.ForkingTCPServer
"""
import socketserver
import time

PORT = 12091


class ClockHandler(socketserver.BaseRequestHandler):
    def handle(self):
        question = b""
        while len(question) < 25:
            piece = self.request.recv(25 - len(question))
            if not piece:
                return  # the client hung up before asking
            question += piece
        self.request.sendall(time.ctime().encode("ascii"))


class ClockServer(socketserver.ForkingTCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    server = ClockServer(("127.0.0.1", PORT), ClockHandler)
    print("forking clock server on", PORT, flush=True)
    server.serve_forever()
