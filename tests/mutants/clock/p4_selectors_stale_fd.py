"""A selectors server that closes a silent client's socket without unregistering it: the next client's
socket gets the same file descriptor and register() raises KeyError.

spec: 4
fails: silent_client
"""
import selectors
import socket
import time

PORT = 12091
sel = selectors.DefaultSelector()


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", PORT))
    listener.listen()
    sel.register(listener, selectors.EVENT_READ)
    buffers = {}
    while True:
        for key, _ in sel.select():
            sock = key.fileobj
            if sock is listener:
                conn, _ = listener.accept()
                buffers[conn] = b""
                sel.register(conn, selectors.EVENT_READ)
                continue
            try:
                data = sock.recv(25 - len(buffers[sock]))
            except ConnectionError:
                sel.unregister(sock)
                del buffers[sock]
                sock.close()
                continue
            if not data:  # the client hung up
                del buffers[sock]
                sock.close()
                continue
            buffers[sock] += data
            if len(buffers[sock]) == 25:
                sock.sendall(time.ctime().encode())
                sel.unregister(sock)
                del buffers[sock]
                sock.close()


if __name__ == "__main__":
    main()
