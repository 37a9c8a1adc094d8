"""A thread per client with socketserver.ThreadingTCPServer and a StreamRequestHandler.

correct: socketserver.ThreadingTCPServer
"""
from socketserver import StreamRequestHandler, ThreadingTCPServer
from time import ctime

PORT = 12091


class ClockHandler(StreamRequestHandler):
    def handle(self):
        question = self.rfile.read(25)
        if len(question) == 25:
            self.wfile.write(ctime().encode("ascii"))


class ClockServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with ClockServer(("", PORT), ClockHandler) as server:
        server.serve_forever()
