"""os.fork() for every client, "found" in shared memory, but the parent waits for each child (os.waitpid) before it accepts the next client.

spec: 7
fails: concurrent_guessers
"""
import mmap
import os
import random
import socket

PORT = 12093
SECRET = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
FOUND = mmap.mmap(-1, 1)


def handle_client(sck):
    with sck, sck.makefile("rb") as lines:
        for line in lines:
            try:
                guess = int(line)
            except ValueError:
                sck.sendall(b"error: send a whole number\n")
                continue
            if FOUND[0]:
                sck.sendall(b"secret found\n")
            elif guess == SECRET:
                FOUND[0] = 1
                sck.sendall(b"right\n")
            else:
                sck.sendall(b"wrong\n")
    os._exit(0)


def main():
    server = socket.create_server(("", PORT))
    while True:
        client, address = server.accept()
        pid = os.fork()
        if pid == 0:
            server.close()
            handle_client(client)
        client.close()
        os.waitpid(pid, 0)  # no zombies


if __name__ == "__main__":
    main()
