"""Raw sockets: the main thread accepts, a thread per client reads with makefile() and answers.

correct: socket + threading.Thread
"""
import socket
import threading
import time

PORT = 12091


def serve(conn, address):
    with conn, conn.makefile("rb") as reader:
        try:
            question = reader.read(25)
            if len(question) == 25:
                conn.sendall(time.ctime().encode())
        except OSError as exc:
            print(address, "went away:", exc)


def main():
    listener = socket.create_server(("", PORT), reuse_port=False)
    while True:
        conn, address = listener.accept()
        threading.Thread(target=serve, args=(conn, address), daemon=True).start()


if __name__ == "__main__":
    main()
