"""The seed lecture's clock server, turned into a swap server: StreamRequestHandler, main(), prints.

correct: seed lecture 33 shape (socketserver.ThreadingTCPServer)
"""
from socketserver import StreamRequestHandler
from socketserver import ThreadingTCPServer
from threading import Condition

PORT = 12092
meeting = Condition()
state = {"waiting": None, "answers": {}, "turn": 0}


class ServerSwap(StreamRequestHandler):
    """
    The server swaps the strings of two clients.
    """
    def handle(self):
        """
        Handler reads a line and waits for a partner.
        """
        print("connected at", self.client_address)
        message = self.rfile.readline()
        if not message.endswith(b"\n"):
            print("client left without a line")
            return
        print('read "' + message.decode() + '" from client')
        with meeting:
            if state["waiting"] is None:
                state["waiting"] = message
                turn = state["turn"]
                meeting.wait_for(lambda: turn in state["answers"])
                reply = state["answers"].pop(turn)
            else:
                reply = state["waiting"]
                state["waiting"] = None
                state["answers"][state["turn"]] = message
                state["turn"] += 1
                meeting.notify_all()
        print('writing "' + reply.decode() + '" to client')
        try:
            self.wfile.write(reply)
        except OSError:
            print("client went away")


def main():
    """
    Starts the server and serves requests.
    """
    ThreadingTCPServer.allow_reuse_address = True
    ThreadingTCPServer.daemon_threads = True
    ss = ThreadingTCPServer(('', PORT), ServerSwap)
    print('server is listening to', PORT)
    try:
        print('press ctrl c to stop server')
        ss.serve_forever()
    except KeyboardInterrupt:
        print(' ctrl c pressed, closing server')
        ss.socket.close()


if __name__ == "__main__":
    main()
