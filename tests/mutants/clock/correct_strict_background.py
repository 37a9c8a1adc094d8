"""Checks the question's text, serves from a background thread, and the main thread sleeps in a loop.

correct: ThreadingTCPServer.serve_forever in a thread, main thread in time.sleep
"""
import threading
import time
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12091
QUESTION = "What is the time?".ljust(25).encode("ascii")


class Clock(StreamRequestHandler):
    def handle(self):
        if self.rfile.read(25) == QUESTION:
            self.wfile.write(time.ctime().encode("ascii"))
        else:
            print("not the question: no answer")


def main():
    server = ThreadingTCPServer(("localhost", PORT), Clock)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        time.sleep(0.2)  # the main thread could do other work here


if __name__ == "__main__":
    main()
