"""Hostile: double-forks a setsid() daemon that outlives everything, scrubs its environment
(the sandbox marker) and re-execs under a recognisable name; the foreground serves correctly."""
import os
import socket
import sys
import time

DAEMON = """
import signal, threading
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
threading.Event().wait()
"""

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in range(3):
            os.close(fd)
        os.execve(sys.executable, [sys.executable, "-c", DAEMON, "graders-hostile-daemon"],
                  {"PATH": "/usr/bin:/bin"})
    os._exit(0)
os.wait()

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12091))
server.listen()
while True:
    conn, _ = server.accept()
    with conn:
        try:
            question = b""
            while len(question) < 25:
                chunk = conn.recv(25 - len(question))
                if not chunk:
                    break
                question += chunk
            if len(question) == 25:
                conn.sendall(time.ctime().encode())
        except OSError:
            pass
