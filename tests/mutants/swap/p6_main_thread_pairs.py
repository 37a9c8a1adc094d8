"""Reader threads queue the lines; the main thread pairs and answers them, and dies when a client has left.

spec: 6
fails: waiting_client_leaves
"""
import queue
import socket
import threading

PORT = 12092
arrived = queue.Queue()  # (connection, line), in the order the lines arrive


def reader(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            conn.close()
            return
        data += chunk
    arrived.put((conn, data))


def accept_forever(server):
    while True:
        conn, _ = server.accept()
        threading.Thread(target=reader, args=(conn,), daemon=True).start()


def main():
    server = socket.create_server(("", PORT))
    threading.Thread(target=accept_forever, args=(server,), daemon=True).start()
    while True:
        a, line_a = arrived.get()
        b, line_b = arrived.get()
        a.sendall(line_b)
        b.sendall(line_a)
        a.close()
        b.close()


if __name__ == "__main__":
    main()
