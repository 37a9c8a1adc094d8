"""os.fork() per client; the parent closes its copy of the connection and reaps its children.

correct: os.fork
"""
import os
import signal
import socket
import time

PORT = 12091


def answer(conn):
    data = b""
    while len(data) < 25:
        chunk = conn.recv(25 - len(data))
        if not chunk:
            return
        data += chunk
    conn.sendall(time.ctime().encode("ascii"))


def main():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", PORT))
    server.listen(5)
    while True:
        try:
            conn, _ = server.accept()
        except InterruptedError:
            continue
        if os.fork() == 0:
            server.close()
            try:
                answer(conn)
            except OSError:
                pass
            finally:
                conn.close()
                os._exit(0)
        conn.close()  # the parent's copy: the child owns the connection now


if __name__ == "__main__":
    main()
