"""The lecture's ForkingTCPServer with a global "found": it is set in the child process that handled the right guess, and the parent, which forks the next children, never sees it.

spec: 6
fails: found_for_everyone, one_winner
"""
import os
import random
from socketserver import ForkingTCPServer, StreamRequestHandler

PORT = 12093
secret = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
found = False


class Handler(StreamRequestHandler):
    def handle(self):
        global found
        for line in self.rfile:
            try:
                guess = int(line)
            except ValueError:
                self.wfile.write(b"error: not a number\n")
                continue
            if found:
                self.wfile.write(b"secret found\n")
            elif guess == secret:
                found = True
                self.wfile.write(b"right\n")
            else:
                self.wfile.write(b"wrong\n")


def main():
    ForkingTCPServer.allow_reuse_address = True
    server = ForkingTCPServer(("", PORT), Handler)
    print("server is listening to", PORT)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.socket.close()


if __name__ == "__main__":
    main()
