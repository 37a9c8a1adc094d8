"""With os.fork(), the parent keeps each connection open until that child exits: children forked meanwhile inherit it.

spec: 4
fails: closes_after_swap
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
    connections = {}  # child pid -> its connection, closed when the child is done

    def reap(signum, frame):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            conn = connections.pop(pid, None)
            if conn is not None:
                conn.close()

    signal.signal(signal.SIGCHLD, reap)
    server = socket.create_server(("", PORT))
    while True:
        conn, _ = server.accept()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            server.close()
            try:
                child(conn, cond, state, answers)
            finally:
                conn.close()
                os._exit(0)
        connections[pid] = conn  # closed when the child exits; meanwhile later children inherit it


if __name__ == "__main__":
    main()
