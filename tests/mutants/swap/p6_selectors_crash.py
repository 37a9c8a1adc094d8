"""A selectors server that stops watching a client once its line is in; writing to one that has left raises and stops the server.

spec: 6
fails: waiting_client_leaves
"""
import selectors
import socket

PORT = 12092
sel = selectors.DefaultSelector()
buffers = {}
waiting = None  # (connection, line)


def readable(conn):
    global waiting
    chunk = conn.recv(65536)
    if not chunk:
        sel.unregister(conn)
        buffers.pop(conn, None)
        conn.close()
        return
    buffers[conn] += chunk
    if b"\n" not in buffers[conn]:
        return
    line = buffers.pop(conn)
    sel.unregister(conn)  # its line is in: nothing more to read from it
    conn.setblocking(True)
    if waiting is None:
        waiting = (conn, line)
    else:
        (other, other_line), waiting = waiting, None
        other.sendall(line)
        conn.sendall(other_line)
        other.close()
        conn.close()


def main():
    server = socket.create_server(("", PORT))
    server.setblocking(False)
    sel.register(server, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is server:
                conn, _ = server.accept()
                conn.setblocking(False)
                buffers[conn] = b""
                sel.register(conn, selectors.EVENT_READ)
            else:
                readable(key.fileobj)


if __name__ == "__main__":
    main()
