"""A raw server with no error handling: a client that resets the connection mid-question crashes it.

spec: 4
fails: abrupt_client
"""
import socket
import time

PORT = 12091


def read_question(conn):
    data = b""
    while len(data) < 25:
        chunk = conn.recv(25 - len(data))
        if not chunk:
            break
        data += chunk
    return data


if __name__ == "__main__":
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", PORT))
    server.listen()
    while True:
        conn, _ = server.accept()
        if len(read_question(conn)) == 25:
            conn.sendall(time.ctime().encode())
        conn.close()
