"""Raw sockets and os.fork(): a child per client; the parent closes its copy of each connection at once.

correct: os.fork + multiprocessing.Manager
"""
import multiprocessing
import os
import signal
import socket

PORT = 12092


def read_line(conn):
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data


def child(conn, cond, state, answers):
    line = read_line(conn)
    if line is None:
        return
    me = os.getpid()
    with cond:
        partner = state.get("waiting")
        if partner is None:
            state["waiting"] = (me, line)
            cond.wait_for(lambda: me in answers)
            reply = answers.pop(me)
        else:
            state["waiting"] = None
            answers[partner[0]] = line
            cond.notify_all()
            reply = partner[1]
    try:
        conn.sendall(reply)
    except OSError:
        pass


def main():
    manager = multiprocessing.Manager()
    cond, state, answers = manager.Condition(), manager.dict(waiting=None), manager.dict()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.create_server(("", PORT))
    while True:
        conn, _ = server.accept()
        if os.fork() == 0:
            server.close()
            try:
                child(conn, cond, state, answers)
            finally:
                conn.close()
                os._exit(0)
        conn.close()  # the child has its own copy


if __name__ == "__main__":
    main()
