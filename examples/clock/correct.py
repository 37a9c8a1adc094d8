"""A correct clock server written with a raw socket and a loop (no socketserver)."""
import socket
import time

PORT = 12091


def read_exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def main():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", PORT))
        server.listen()
        print("clock server on port", PORT, flush=True)
        while True:
            conn, address = server.accept()
            with conn:
                try:
                    question = read_exactly(conn, 25)
                    if len(question) == 25:
                        conn.sendall(time.ctime().encode("ascii"))
                except OSError as exc:
                    print("client", address, "went away:", exc)


if __name__ == "__main__":
    main()
