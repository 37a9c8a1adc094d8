"""Swaps correctly, but keeps every connection in a list and never closes one:
the clients are never told that the exchange is over."""
import socket
import threading

PORT = 12092
lock = threading.Lock()
connections = []  # every client ever, kept "for later"
waiting = []


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    return data


def serve(conn):
    line = read_line(conn)
    if line is None:
        return
    with lock:
        if waiting:
            other, other_line = waiting.pop(0)
        else:
            waiting.append((conn, line))
            return
    for target, data in ((other, line), (conn, other_line)):
        try:
            target.sendall(data)
        except OSError:
            pass  # that client left


def main():
    server = socket.create_server(("", PORT))
    while True:
        conn, _ = server.accept()
        connections.append(conn)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
