"""Reads text lines with conn.makefile("r", encoding="utf-8"): a line of bytes that are not UTF-8 raises UnicodeDecodeError in the loop and ends the connection.

spec: 5
fails: malformed_guesses
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
    with conn, conn.makefile("r", encoding="utf-8", newline="\n") as lines:
        for text in lines:
            try:
                guess = int(text)
            except ValueError:
                conn.sendall(b"error: send a whole number\n")
                continue
            with lock:
                if found:
                    reply = b"secret found\n"
                elif guess == SECRET:
                    found = True
                    reply = b"right\n"
                else:
                    reply = b"wrong\n"
            conn.sendall(reply)


def main():
    listener = socket.create_server(("", PORT))
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
