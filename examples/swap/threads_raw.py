"""A correct swap server with raw sockets and one thread per client.

A client that leaves while waiting is not noticed: it is paired with the next
client, who gets its line (the spec allows that).
"""
import socket
import threading

PORT = 12092

lock = threading.Lock()
waiting = []  # [(line, queue for the partner's line)]


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def serve(conn):
    with conn:
        try:
            line = read_line(conn)
            if line is None:
                return
            with lock:
                if waiting:
                    partner_line, partner_box = waiting.pop(0)
                    mine = None
                else:
                    mine = []
                    ready = threading.Event()
                    waiting.append((line, (mine, ready)))
            if mine is None:
                box, ready = partner_box
                box.append(line)
                ready.set()
                conn.sendall(partner_line)
            else:
                ready.wait()
                conn.sendall(mine[0])
        except OSError as exc:
            print("client error:", exc)


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", PORT))
    server.listen(16)
    print("listening on", PORT, flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
