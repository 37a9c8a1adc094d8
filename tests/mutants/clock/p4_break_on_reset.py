"""Leaves its accept loop with `break` (meant `continue`) when a client resets the connection.

spec: 4
fails: abrupt_client
"""
import socket
import time

PORT = 12091

if __name__ == "__main__":
    with socket.create_server(("", PORT)) as server:
        while True:
            conn, address = server.accept()
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
                except ConnectionResetError:
                    print("client", address, "reset the connection")
                    break
    print("server stopped")
