"""Hostile: a correct clock server that floods stdout and stderr as fast as it can."""
import os
import socket
import threading
import time


def flood(fd, text):
    data = (text * 4096).encode()
    while True:
        try:
            os.write(fd, data)
        except OSError:
            pass


threading.Thread(target=flood, args=(1, "stdout flood "), daemon=True).start()
threading.Thread(target=flood, args=(2, "stderr flood "), daemon=True).start()

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
