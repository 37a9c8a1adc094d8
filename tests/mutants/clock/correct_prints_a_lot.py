"""Prints 8 MB of start-up chatter before it listens, and a line per client (printing is allowed).

correct: socketserver.TCPServer after 8 MB of output
"""
import sys
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        question = self.rfile.read(25)
        print("question:", question, "from", self.client_address)
        if len(question) == 25:
            self.wfile.write(ctime().encode())


if __name__ == "__main__":
    line = "starting the clock server ... " * 3 + "\n"
    for _ in range(8_000_000 // len(line)):
        sys.stdout.write(line)
    sys.stdout.flush()
    with TCPServer(("", PORT), Clock) as server:
        print("listening on", PORT, flush=True)
        server.serve_forever()
