"""Raw sockets and a thread per client; recv() into a buffer, answer each complete line, and the rest at the end.

correct: socket + threading.Thread
"""
import os
import random
import socket
import threading

PORT = 12093
secret = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def reply_to(line):
    global found
    try:
        number = int(line)
    except ValueError:
        return b"error: not a whole number\n"
    with lock:
        if found:
            return b"secret found\n"
        if number == secret:
            found = True
            return b"right\n"
        return b"wrong\n"


def serve(conn):
    buffer = b""
    with conn:
        while True:
            try:
                data = conn.recv(1024)
            except OSError:
                return
            if not data:
                break
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                conn.sendall(reply_to(line))
        if buffer:  # the client closed after a last line without its newline
            try:
                conn.sendall(reply_to(buffer))
            except OSError:
                pass


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PORT))
    listener.listen(50)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
