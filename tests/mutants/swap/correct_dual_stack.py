"""Listens on IPv6 '::' with IPv4 too (a dual-stack socket), one thread per client.

correct: socket.create_server(dualstack_ipv6=True) + threads
"""
import socket
import threading

PORT = 12092
lock = threading.Lock()
slot = []  # the waiting client's {"line", "event", "reply"}, when one waits


def handle(conn):
    with conn, conn.makefile("rb") as f:
        line = f.readline()
        if not line.endswith(b"\n"):
            return
        with lock:
            partner = slot.pop() if slot else None
            if partner is None:
                mine = {"line": line, "event": threading.Event()}
                slot.append(mine)
        if partner is not None:
            partner["reply"] = line
            partner["event"].set()
            reply = partner["line"]
        else:
            mine["event"].wait()
            reply = mine["reply"]
        try:
            conn.sendall(reply)
        except OSError:
            pass


def main():
    server = socket.create_server(("::", PORT), family=socket.AF_INET6, dualstack_ipv6=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
