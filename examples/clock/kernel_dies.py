# notebook-extra: import os\nos._exit(1)  # "restart the kernel" the hard way: the kernel dies here
"""A correct clock server, handed in with a notebook cell that kills the kernel right after it."""
from socketserver import StreamRequestHandler, TCPServer
from time import ctime

PORT = 12091


class ClockHandler(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(ctime().encode())


class ClockServer(TCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    with ClockServer(("", PORT), ClockHandler) as server:
        server.serve_forever()
