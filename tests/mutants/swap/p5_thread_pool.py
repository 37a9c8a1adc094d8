"""Serves clients with a ThreadPoolExecutor of 4 threads: four silent clients occupy them all and nobody else is served.

spec: 5
fails: overlapping_pairs
"""
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

PORT = 12092
lock = threading.Lock()
waiting = None  # (line, event, box for the partner's line)


def serve(conn):
    global waiting
    with conn, conn.makefile("rb") as f:
        line = f.readline()
        if not line.endswith(b"\n"):
            return
        with lock:
            partner = waiting
            if partner is None:
                box, ready = [], threading.Event()
                waiting = (line, ready, box)
            else:
                waiting = None
        if partner is None:
            ready.wait()
            reply = box[0]
        else:
            partner_line, partner_ready, partner_box = partner
            partner_box.append(line)
            partner_ready.set()
            reply = partner_line
        try:
            conn.sendall(reply)
        except OSError:
            pass


def main():
    pool = ThreadPoolExecutor(max_workers=4)  # enough for two pairs at a time
    with socket.create_server(("", PORT)) as server:
        while True:
            conn, _ = server.accept()
            pool.submit(serve, conn)


if __name__ == "__main__":
    main()
