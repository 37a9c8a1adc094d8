"""Takes the port from the command line, with 8080 when none is given (the spec's 12091 is never used).

spec: 1
fails: uses_port
"""
import sys
from socketserver import StreamRequestHandler, ThreadingTCPServer
from time import ctime

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 8080


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(ctime().encode())


if __name__ == "__main__":
    with ThreadingTCPServer(("", PORT), Clock) as server:
        print("clock on port", PORT)
        server.serve_forever()
