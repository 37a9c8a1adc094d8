"""Ends the answer with a newline, as print() would: 25 bytes instead of 24.

spec: 3
fails: answers_question
"""
import socket
import time

PORT = 12091

if __name__ == "__main__":
    with socket.create_server(("", PORT)) as server:
        while True:
            conn, _ = server.accept()
            with conn, conn.makefile("rb") as rfile:
                try:
                    if len(rfile.read(25)) == 25:
                        conn.sendall((time.ctime() + "\n").encode())
                except OSError:
                    pass
