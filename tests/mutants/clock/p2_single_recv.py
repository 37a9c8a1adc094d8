"""Takes one recv(1024) as the whole question: a question in pieces is answered after its first piece.

spec: 2
fails: waits_for_whole_question, question_per_client
"""
import socket
import time

PORT = 12091

if __name__ == "__main__":
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", PORT))
    server.listen()
    while True:
        conn, address = server.accept()
        try:
            question = conn.recv(1024)
            if question:
                conn.sendall(time.ctime().encode())
        except OSError as exc:
            print(address, exc)
        finally:
            conn.close()
