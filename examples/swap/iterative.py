"""A swap server that handles one client at a time: the first client's handler
waits for a partner who is never read, so no pair is ever formed."""
import threading
from socketserver import StreamRequestHandler, TCPServer

PORT = 12092
waiting = []


class SwapHandler(StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        if waiting:
            partner_line, box, ready = waiting.pop()
            box.append(line)
            ready.set()
            self.wfile.write(partner_line)
        else:
            box, ready = [], threading.Event()
            waiting.append((line, box, ready))
            ready.wait()
            self.wfile.write(box[0])


if __name__ == "__main__":
    server = TCPServer(("", PORT), SwapHandler)
    print("server is listening to", PORT)
    server.serve_forever()
