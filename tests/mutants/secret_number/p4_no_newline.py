"""Sends the replies without a newline (conn.send(b"wrong")), as the lecture's clock server sends the time.

spec: 4
fails: answers_guesses
"""
import os
import random
import socket
import threading

PORT = 12093
SECRET = int(os.environ.get("SECRET_NUMBER") or random.randint(1, 100))
found = False
lock = threading.Lock()


def serve(conn):
    global found
    with conn, conn.makefile("rb") as lines:
        for line in lines:
            try:
                guess = int(line)
            except ValueError:
                conn.sendall(b"error: send a whole number")
                continue
            with lock:
                if found:
                    reply = b"secret found"
                elif guess == SECRET:
                    found = True
                    reply = b"right"
                else:
                    reply = b"wrong"
            conn.sendall(reply)


def main():
    listener = socket.create_server(("", PORT))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
