"""The swap server: pairs clients in the order their lines arrive (socketserver, threads)."""
import select
import socket
import threading
from socketserver import StreamRequestHandler, ThreadingTCPServer

PORT = 12092


class Waiting:
    """A client whose line has arrived and who waits for a partner."""

    def __init__(self, line):
        self.line = line
        self.partner_line = None
        self.paired = threading.Event()


lock = threading.Lock()
waiting = None  # the Waiting client, or None


class SwapHandler(StreamRequestHandler):
    def handle(self):
        global waiting
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return  # the client hung up before sending a whole line
        with lock:
            if waiting is None:
                me, partner = Waiting(line), None
                waiting = me
            else:
                me, partner = None, waiting
                waiting = None
        if partner is not None:
            partner.partner_line = line
            partner.paired.set()
            self.reply(partner.line)
            return
        while not me.paired.wait(0.1):
            if self.hung_up():
                with lock:
                    if waiting is me:
                        waiting = None  # forget it: nobody will be paired with a client that left
                        return
        self.reply(me.partner_line)

    def hung_up(self):
        readable, _, _ = select.select([self.request], [], [], 0)
        if not readable:
            return False
        try:
            return self.request.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def reply(self, line):
        try:
            self.wfile.write(line)
        except OSError as exc:
            print("client", self.client_address, "went away:", exc)


class SwapServer(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    with SwapServer(("", PORT), SwapHandler) as server:
        print("swap server is listening to", PORT, flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            print("ctrl c pressed, closing server")


if __name__ == "__main__":
    main()
