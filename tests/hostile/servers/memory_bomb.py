"""Hostile: listens, then takes (and touches) all the memory it can get and holds it."""
import socket
import threading

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12091))
server.listen()
hoard = []
chunk = 16 << 20
while chunk >= 4096:
    try:
        hoard.append(bytearray(b"x") * chunk)  # written, so the pages are really there
    except MemoryError:
        chunk //= 2
print("holding", sum(map(len, hoard)) >> 20, "MiB", flush=True)
threading.Event().wait()
