"""Raw sockets, one thread per client; a queue.Queue holds the waiting client's mailbox.

correct: socket + threading.Thread
"""
import queue
import socket
import threading

PORT = 12092
lock = threading.Lock()
waiting = []  # at most one (line, mailbox)


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
        line = read_line(conn)
        if line is None:
            return
        with lock:
            if waiting:
                partner_line, partner_box = waiting.pop()
                mailbox = None
            else:
                mailbox = queue.Queue()
                waiting.append((line, mailbox))
        if mailbox is None:
            partner_box.put(line)
            reply = partner_line
        else:
            reply = mailbox.get()
        try:
            conn.sendall(reply)
        except OSError:
            pass


def main():
    with socket.create_server(("", PORT)) as server:
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
