"""Hostile: answers every client with time.ctime() again and again, forever (floods the client)."""
import socket
import threading
import time

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12091))
server.listen()


def flood(conn):
    try:
        while True:
            conn.sendall(time.ctime().encode() * 1000)
    except OSError:
        conn.close()


while True:
    conn, _ = server.accept()
    threading.Thread(target=flood, args=(conn,), daemon=True).start()
