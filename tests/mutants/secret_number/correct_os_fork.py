"""The lecture's forking server (accept, os.fork, the child handles the client), with "found" in a shared mmap guarded by lockf.

correct: os.fork + mmap
"""
import fcntl
import mmap
import os
import random
import signal
import socket
import tempfile

PORT = 12093
BUFFER = 80
SECRET = int(os.environ["SECRET_NUMBER"]) if "SECRET_NUMBER" in os.environ else random.randint(1, 100)
FOUND = mmap.mmap(-1, 1)  # anonymous shared memory: the parent and every child see the same byte
# lockf() on it makes check-and-set one step across processes.  Not flock(): its lock belongs to the open
# file, which every forked child shares, so it would exclude nobody (a race the generated mutants found).
LOCK = tempfile.TemporaryFile()


def judge(line):
    try:
        guess = int(line)
    except ValueError:
        return b"error: send a whole number\n"
    fcntl.lockf(LOCK, fcntl.LOCK_EX)
    try:
        if FOUND[0]:
            return b"secret found\n"
        if guess == SECRET:
            FOUND[0] = 1
            return b"right\n"
        return b"wrong\n"
    finally:
        fcntl.lockf(LOCK, fcntl.LOCK_UN)


def handle_client(sck):
    """Code executed by the forked process."""
    pending = b""
    while True:
        data = sck.recv(BUFFER)
        if not data:
            break
        pending += data
        *lines, pending = pending.split(b"\n")
        for line in lines:
            sck.sendall(judge(line))
    if pending:
        sck.sendall(judge(pending))
    sck.close()
    os._exit(0)


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", PORT))
    server.listen(20)
    print("press ctrl c to stop server")
    while True:
        client, address = server.accept()
        print("server connected at", address)
        if os.fork() == 0:
            server.close()
            try:
                handle_client(client)
            finally:
                os._exit(0)  # never back into the parent's loop, even after an error
        else:
            client.close()


if __name__ == "__main__":
    main()
