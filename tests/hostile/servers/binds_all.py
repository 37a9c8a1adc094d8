"""A correct clock server bound to 0.0.0.0 (every interface): must stay invisible to the host."""
import socket
import time

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 12091))
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
