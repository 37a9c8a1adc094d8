"""Takes a second to start (it "loads its settings") before it listens; then a plain TCPServer.

correct: socketserver.TCPServer after a 1 s start-up
"""
import time
from socketserver import StreamRequestHandler, TCPServer

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(time.ctime().encode())


if __name__ == "__main__":
    time.sleep(1.0)
    TCPServer.allow_reuse_address = True
    with TCPServer(("127.0.0.1", PORT), Clock) as server:
        server.serve_forever()
