"""A swap server whose main thread pairs the clients: writing to a client that
has left raises BrokenPipeError there, and the whole server stops."""
import queue
import socket
import threading

PORT = 12092
arrived = queue.Queue()  # (connection, line), in the order the lines arrive


def reader(conn):
    with conn.makefile("rb") as f:
        line = f.readline()
    if line.endswith(b"\n"):
        arrived.put((conn, line))
    else:
        conn.close()


def accept_forever(server):
    while True:
        conn, _ = server.accept()
        threading.Thread(target=reader, args=(conn,), daemon=True).start()


def main():
    server = socket.create_server(("", PORT), reuse_port=False)
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
