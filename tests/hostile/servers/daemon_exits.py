"""Hostile: the classic daemon: the clock is served by a double-forked setsid() grandchild
that ignores SIGTERM/SIGHUP, and the process the grader started exits at once."""
import os
import signal
import socket
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 12091))
        server.listen()
        while True:
            conn, _ = server.accept()
            with conn:
                try:
                    if len(conn.recv(25)) > 0:
                        conn.sendall(time.ctime().encode())
                except OSError:
                    pass
    os._exit(0)
os.wait()
print("daemonized; exiting", flush=True)
