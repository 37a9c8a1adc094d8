"""Takes the time in setup(), when the client connects, not when its question has arrived.

spec: 3
fails: time_when_asked
"""
from socketserver import StreamRequestHandler, ThreadingTCPServer
from time import ctime

PORT = 12091


class Clock(StreamRequestHandler):
    def setup(self):
        super().setup()
        self.now = ctime()  # the moment the client connected

    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(self.now.encode())


if __name__ == "__main__":
    with ThreadingTCPServer(("", PORT), Clock) as server:
        server.serve_forever()
