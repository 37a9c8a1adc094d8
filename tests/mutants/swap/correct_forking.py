"""A ForkingTCPServer: one process per client, meeting through a multiprocessing.Manager's shared state.

correct: socketserver.ForkingTCPServer + multiprocessing.Manager
"""
import multiprocessing
import os
from socketserver import ForkingTCPServer, StreamRequestHandler

PORT = 12092
manager = None  # started in main(), before any client: it holds no client's socket


class SwapHandler(StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline()
        if not line.endswith(b"\n"):
            return
        cond, state, answers = self.server.shared
        me = os.getpid()
        with cond:
            partner = state.get("waiting")
            if partner is None:
                state["waiting"] = (me, line)
                cond.wait_for(lambda: me in answers)
                reply = answers.pop(me)
            else:
                state["waiting"] = None
                answers[partner[0]] = line
                cond.notify_all()
                reply = partner[1]
        try:
            self.wfile.write(reply)
        except OSError:
            pass


class SwapServer(ForkingTCPServer):
    allow_reuse_address = True


def main():
    global manager
    manager = multiprocessing.Manager()
    with SwapServer(("", PORT), SwapHandler) as server:
        server.shared = (manager.Condition(), manager.dict(waiting=None), manager.dict())
        server.serve_forever()


if __name__ == "__main__":
    main()
