"""Hostile: dodges a per-process memory limit by forking children that each take all they can."""
import os
import socket
import threading

CHILDREN = 5

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12091))
server.listen()
for _ in range(CHILDREN):
    try:
        if os.fork() == 0:
            break
    except OSError:
        break
hoard = []
chunk = 16 << 20
while chunk >= 1 << 20:
    try:
        hoard.append(bytearray(b"x") * chunk)
    except MemoryError:
        chunk //= 2
print(os.getpid(), "holding", sum(map(len, hoard)) >> 20, "MiB", flush=True)
threading.Event().wait()
