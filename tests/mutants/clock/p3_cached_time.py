"""Caches the answer with functools.lru_cache: every client gets the time the first client got.

spec: 3
fails: time_when_asked
"""
import functools
import time
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12091


@functools.lru_cache(maxsize=None)
def answer() -> bytes:
    return time.ctime().encode("ascii")


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(answer())


if __name__ == "__main__":
    ThreadingTCPServer.allow_reuse_address = True
    with ThreadingTCPServer(("", PORT), Clock) as server:
        server.serve_forever()
