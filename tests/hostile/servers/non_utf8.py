"""Hostile: reads the question and answers with 24 bytes that are not UTF-8 (nor ASCII)."""
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12091))
server.listen()
while True:
    conn, _ = server.accept()
    with conn:
        try:
            conn.recv(25)
            conn.sendall(bytes([0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0xF8]) * 3)
        except OSError:
            pass
