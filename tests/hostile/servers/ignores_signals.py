"""Hostile: a correct clock server that ignores SIGTERM, SIGINT, SIGHUP and SIGQUIT."""
import signal
import socket
import time

for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
    signal.signal(s, signal.SIG_IGN)

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
