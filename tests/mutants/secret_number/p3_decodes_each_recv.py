"""Keeps a proper line buffer, but decodes each recv() as UTF-8 on its own: a character cut in two by the network makes a whole piece an "error".

spec: 3
fails: line_framing
"""
import os
import random
import socket
import threading

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def answer(text):
    global found
    try:
        guess = int(text)
    except ValueError:
        return "error: send a whole number\n"
    with lock:
        if found:
            return "secret found\n"
        if guess == SECRET:
            found = True
            return "right\n"
        return "wrong\n"


def serve(conn):
    text = ""
    with conn:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            try:
                text += data.decode("utf-8")
            except UnicodeDecodeError:
                conn.sendall(b"error: not UTF-8 text\n")
                continue
            while "\n" in text:
                line, text = text.split("\n", 1)
                conn.sendall(answer(line).encode())
        if text:
            conn.sendall(answer(text).encode())


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", PORT))
    listener.listen()
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
