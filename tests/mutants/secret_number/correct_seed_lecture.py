"""The lecture's clock server reshaped: StreamRequestHandler, main() with ss.serve_forever(), made threading, with a global "found" under a lock.

correct: seed lecture 33 (socketserver, ThreadingTCPServer)
"""
from os import environ
from random import randint
from socketserver import StreamRequestHandler
from socketserver import ThreadingTCPServer
from threading import Lock

PORT = 12093
SECRET = int(environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in environ else randint(1, 100)
FOUND = False
LOCK = Lock()


class ServerSecret(StreamRequestHandler):
    """
    The server tells the clients whether they guessed the secret.
    """

    def handle(self):
        """
        Handler answers every guess of the client.
        """
        global FOUND
        print("connected at", self.client_address)
        for message in self.rfile:
            data = message.decode("utf-8", errors="replace")
            print('read "' + data.strip() + '" from client')
            try:
                guess = int(data)
            except ValueError:
                answer = "error: a guess is a whole number"
            else:
                with LOCK:
                    if FOUND:
                        answer = "secret found"
                    elif guess == SECRET:
                        FOUND = True
                        answer = "right"
                    else:
                        answer = "wrong"
            print('writing "' + answer + '" to client')
            self.wfile.write((answer + "\n").encode())


def main():
    """
    Starts the server and serves requests.
    """
    ThreadingTCPServer.allow_reuse_address = True
    ss = ThreadingTCPServer(('', PORT), ServerSecret)
    print('server is listening to', PORT)
    try:
        print('press ctrl c to stop server')
        ss.serve_forever()
    except KeyboardInterrupt:
        print(' ctrl c pressed, closing server')
        ss.socket.close()


if __name__ == "__main__":
    main()
