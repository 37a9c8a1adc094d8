"""An IPv6 socket bound to '::' with IPV6_V6ONLY off: it takes IPv4 clients at 127.0.0.1 too.

correct: dual-stack IPv6 socket (binds '::')
"""
import socket
import time

PORT = 12091


def main():
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("::", PORT))
        server.listen()
        while True:
            conn, _ = server.accept()
            with conn:
                data = b""
                try:
                    while len(data) < 25 and (chunk := conn.recv(25 - len(data))):
                        data += chunk
                    if len(data) == 25:
                        conn.sendall(time.ctime().encode("ascii"))
                except OSError:
                    pass


if __name__ == "__main__":
    main()
