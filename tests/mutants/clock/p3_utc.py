"""Answers with the time in UTC, datetime.now(timezone.utc).ctime(), not the local time.ctime().

spec: 3
fails: answers_question, time_when_asked
"""
from datetime import datetime, timezone
from socketserver import StreamRequestHandler, TCPServer

PORT = 12091


class Clock(StreamRequestHandler):
    def handle(self):
        if len(self.rfile.read(25)) == 25:
            self.wfile.write(datetime.now(timezone.utc).ctime().encode())


if __name__ == "__main__":
    with TCPServer(("", PORT), Clock) as server:
        server.serve_forever()
