"""Hostile: tries to reach a non-loopback address (TCP and UDP), then serves the clock correctly.

Safety: it only tries when its network namespace has no interface but ``lo`` (then the
kernel refuses at once with ENETUNREACH and nothing leaves the machine); otherwise it
prints EGRESS not-isolated and sends nothing.
"""
import errno
import socket
import time

TARGET = ("10.255.255.1", 9)

with open("/proc/net/dev") as f:
    interfaces = sorted(line.split(":")[0].strip() for line in f.readlines()[2:])
if interfaces != ["lo"]:
    print("EGRESS not-isolated: interfaces", interfaces, flush=True)
else:
    for kind in ("tcp", "udp"):
        began = time.monotonic()
        try:
            if kind == "tcp":
                with socket.create_connection(TARGET, timeout=5):
                    pass
            else:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.sendto(b"hello", TARGET)
            code = 0
        except OSError as exc:
            code = exc.errno or -1
        print(f"EGRESS {kind} errno={errno.errorcode.get(code, code)} "
              f"seconds={time.monotonic() - began:.3f}", flush=True)

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 12091))
server.listen()
while True:
    conn, _ = server.accept()
    with conn:
        try:
            question = b""
            while len(question) < 25:
                chunk = conn.recv(25 - len(question))
                if not chunk:
                    break
                question += chunk
            if len(question) == 25:
                conn.sendall(time.ctime().encode())
        except OSError:
            pass
