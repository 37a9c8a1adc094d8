"""One thread and selectors: each client's bytes are buffered until the newline; a waiter that hangs up is dropped.

correct: selectors (single-threaded)
"""
import selectors
import socket

PORT = 12092
sel = selectors.DefaultSelector()
buffers = {}    # connection -> bytes read so far
waiting = None  # (connection, line) of the client waiting for a partner


def finish(conn, reply):
    sel.unregister(conn)
    try:
        conn.sendall(reply)  # short lines: the kernel's buffer takes them at once
    except OSError:
        pass
    conn.close()


def drop(conn):
    global waiting
    if waiting is not None and waiting[0] is conn:
        waiting = None
    buffers.pop(conn, None)
    sel.unregister(conn)
    conn.close()


def readable(conn):
    global waiting
    if conn.fileno() == -1:
        return  # closed by finish() earlier in this round of select(): its event is stale
    try:
        chunk = conn.recv(65536)
    except OSError:
        chunk = b""
    if not chunk:
        drop(conn)
        return
    if conn not in buffers:
        return  # a waiting client sent more: ignore it
    buffers[conn] += chunk
    if b"\n" not in buffers[conn]:
        return
    data = buffers.pop(conn)
    line = data[:data.index(b"\n") + 1]
    if waiting is None:
        waiting = (conn, line)
    else:
        (other, other_line), waiting = waiting, None
        conn.setblocking(True)
        other.setblocking(True)
        finish(conn, other_line)
        finish(other, line)


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
