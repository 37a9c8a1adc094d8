"""Hostile: deletes and overwrites files beside it, through ../ paths and absolute paths.

Its targets come from a well-known place the test writes (/var/tmp/graders-hostile/config.json):
a file in a sibling directory and another student's answer file being graded at the same time,
which it replaces with a server that crashes.  Then it serves the clock correctly.
"""
import json
import os
import shutil
import socket
import time

CRASH = "raise SystemExit('overwritten by a hostile neighbour')\n"


def attempt(what, action):
    try:
        action()
        print("TAMPER", what, "done", flush=True)
    except OSError as exc:
        print("TAMPER", what, "denied:", exc, flush=True)


# everything beside it, including its own file
for name in os.listdir("."):
    attempt(f"delete ./{name}", lambda name=name: os.remove(name))
attempt("write ./junk", lambda: open("junk", "w").write("junk" * 1000))
try:
    with open("/var/tmp/graders-hostile/config.json") as f:
        config = json.load(f)
except OSError as exc:
    print("TAMPER cannot read the config:", exc, flush=True)
    config = {}
for target in config.get("overwrite", []):
    relative = os.path.relpath(target)  # ../graders-.../file
    attempt(f"overwrite {relative}", lambda r=relative: open(r, "w").write(CRASH))
    attempt(f"overwrite {target}", lambda t=target: open(t, "w").write(CRASH))
for target in config.get("delete", []):
    relative = os.path.relpath(target)
    attempt(f"delete {relative}", lambda r=relative: os.remove(r))
for target in config.get("delete_tree", []):
    attempt(f"rmtree {target}", lambda t=target: shutil.rmtree(os.path.relpath(t)))

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
