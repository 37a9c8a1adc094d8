"""Answers with its own time format, not time.ctime(): the question is read properly."""
from socketserver import StreamRequestHandler, TCPServer
from time import strftime

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        self.rfile.read(25)
        self.wfile.write(("The time is " + strftime("%H:%M:%S") + "\n").encode())


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
