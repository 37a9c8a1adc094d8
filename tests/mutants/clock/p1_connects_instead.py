"""Connects to port 12091 like a client instead of listening on it: refused, it stops at once.

spec: 1
fails: starts
"""
import socket
import time

PORT = 12091

if __name__ == "__main__":
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect(("localhost", PORT))
    while True:
        conn = sock
        question = conn.recv(25)
        conn.sendall(time.ctime().encode())
