"""Hostile: accepts and reads from each client forever, never answering."""
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12091))
server.listen()
while True:
    conn, _ = server.accept()
    while True:  # reads forever; a closed client makes recv return b"" at once, forever
        conn.recv(65536)
