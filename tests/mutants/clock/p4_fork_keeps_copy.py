"""Forks a child per client but the parent never closes its copy of the connection: no end of stream.

spec: 4
fails: closes_connection
"""
import os
import socket
import time

PORT = 12091


def main():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", PORT))
    server.listen()
    while True:
        conn, _ = server.accept()
        while True:  # reap finished children
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if os.fork() == 0:
            server.close()
            data = b""
            try:
                while len(data) < 25 and (chunk := conn.recv(25 - len(data))):
                    data += chunk
                if len(data) == 25:
                    conn.sendall(time.ctime().encode())
            except OSError:
                pass
            conn.close()
            os._exit(0)
        # (the parent should close conn here)


if __name__ == "__main__":
    main()
