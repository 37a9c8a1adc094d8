"""Hostile: makes a socket but never binds or listens; waits forever."""
import socket
import threading

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
print("made a socket, not binding it", flush=True)
threading.Event().wait()
