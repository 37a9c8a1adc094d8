"""Hostile: tries to read other students' submissions, the gradebook and the instructor's
solutions, and prints whatever it gets (so it would show up in its feedback); then it serves
the clock correctly.

Its targets come from a well-known place the test writes (/var/tmp/graders-hostile/config.json);
it also looks for course directories in other processes' command lines under /proc.
"""
import glob
import json
import os
import socket
import time


def leak(path):
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except OSError as exc:
        print("SECRET", path, "denied:", exc, flush=True)
        return
    print("SECRET", path, "LEAKED:", data.decode("utf-8", "replace"), flush=True)


try:
    with open("/var/tmp/graders-hostile/config.json") as f:
        config = json.load(f)
except OSError as exc:
    print("SECRET cannot read the config:", exc, flush=True)
    config = {}
for path in config.get("read", []):
    leak(path)
    leak(os.path.relpath(path))
for pattern in config.get("glob", []):
    for path in glob.glob(pattern, recursive=True):
        leak(path)
# other processes' command lines name course directories (nbgrader --CourseDirectory.root=...)
for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        with open(cmdline, "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        continue
    for arg in args:
        if arg.startswith(b"--CourseDirectory.root="):
            root = arg.split(b"=", 1)[1].decode()
            print("SECRET found a course directory:", root, flush=True)
            leak(os.path.join(root, "gradebook.db"))

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
