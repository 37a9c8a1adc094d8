"""Two slips: ends the answer with a newline (spec point 3) AND keeps the connection open (spec point 4).

Not a corpus mutant (tests/test_partial_credit.py): answers_question fails for the newline, and
closes_connection, which runs although answers_question failed, fails for its own point.
"""
import socket
import threading
import time

PORT = 12091
kept = []  # every connection stays open


def serve(conn):
    with conn.makefile("rb") as rfile:
        if len(rfile.read(25)) == 25:
            conn.sendall((time.ctime() + "\n").encode())
    kept.append(conn)


if __name__ == "__main__":
    with socket.create_server(("", PORT)) as server:
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
