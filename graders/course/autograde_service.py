"""Formgrader's *autograde* button, graded as the batch grades: one path for both.

nbgrader's button runs ``nbgrader autograde`` inside the instructor's Jupyter
server, as the instructor: on a course machine that means weaker isolation
than the batch run as root (docs/isolation.md: no uid per sandbox, no
masks), and a second, different way to grade.  With the course's server
extension (graders/course/lab_server.py) the button runs the batch instead, for that
one submission (:func:`grade_one`):

* off the hub, ``python -m graders autograde ASSIGNMENT --student ID --force``
  as the instructor, from the instructor's server (what they would type);
* on the hub, where the instructor's server has ``GRADERS_AUTOGRADE_SOCKET``,
  it asks this service, which JupyterHub runs as root (a managed service of
  graders/course/hub.py): the same command, as root, so each kernel and server
  gets its own unprivileged uid, exactly as ``sudo python -m graders
  autograde`` does; the batch then gives its files back to the course's owner.

The service is a ``socketserver.ThreadingUnixStreamServer`` on a Unix socket:
a request is one JSON line ``{"assignment": A, "student": S}``, the answer one
JSON line ``{"success": bool, "log": str}`` (the shape of nbgrader's
``NbGraderAPI.autograde``).  Only the owner of the course root (and root) may
ask: the peer's uid comes from ``SO_PEERCRED``.  Gradings run one at a time.

    python -m graders.course.autograde_service COURSE_ROOT --socket PATH   (as root)

Sources: Python's ``socketserver`` (UnixStreamServer, ThreadingMixIn);
unix(7) (``SO_PEERCRED``); JupyterHub documentation, "Services" (managed
services).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import socketserver
import struct
import subprocess
import sys
import threading
from pathlib import Path

GRADE_TIMEOUT = 30 * 60  # seconds one button press may take (the batch's own limits are shorter)
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}$")  # an nbgrader assignment or student id


def command(root: Path, assignment: str, student: str) -> list[str]:
    """The batch for one submission: what the button runs (``--force``: a press grades again)."""
    return [sys.executable, "-m", "graders", "autograde", assignment, "--student", student,
            "--root", str(root), "--jobs", "1", "--force"]


def grade_one(root: Path, assignment: str, student: str, timeout: float = GRADE_TIMEOUT) -> dict:
    """Grade one submission with the batch, in a new process; nbgrader's API answer ``{"success", "log"}``.

    Raises ValueError for a name that is not an nbgrader id (a path, an option).
    """
    for value in (assignment, student):
        if not NAME.match(value):
            raise ValueError(f"not an assignment or student id: {value!r}")
    from graders.course.paths import environment
    env = dict(environment(), PYTHONUNBUFFERED="1")
    try:
        done = subprocess.run(command(root, assignment, student), cwd=root, env=env, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"success": False, "log": "", "error": f"autograding took more than {timeout:.0f} s"}
    log = done.stdout + done.stderr
    answer = {"success": done.returncode == 0, "log": log}
    if done.returncode != 0:
        answer["error"] = log[-4000:] or f"python -m graders autograde exited with {done.returncode}"
    return answer


def ask(path: str | os.PathLike, assignment: str, student: str, timeout: float = GRADE_TIMEOUT) -> dict:
    """Ask the service at the socket ``path`` to grade one submission; its answer.

    Raises OSError when the service cannot be reached, TimeoutError after
    ``timeout`` seconds, ValueError on a malformed answer.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(str(path))
        client.sendall(json.dumps({"assignment": assignment, "student": student}).encode() + b"\n")
        with client.makefile("rb") as reply:
            line = reply.readline()
    if not line:
        raise ValueError("the autograde service closed the connection without answering")
    return json.loads(line)


def peer_uid(connection: socket.socket) -> int:
    """The uid of the process at the other end of a Unix socket (``SO_PEERCRED``)."""
    creds = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


class GradeRequestHandler(socketserver.StreamRequestHandler):
    """One request: check who asks, grade, answer."""

    def handle(self) -> None:
        server: Service = self.server  # type: ignore[assignment]
        uid = peer_uid(self.connection)
        try:
            request = json.loads(self.rfile.readline(4096) or b"{}")
            if uid not in (0, server.owner):
                answer = {"success": False, "log": "",
                          "error": f"uid {uid} may not autograde this course (only its owner, uid {server.owner})"}
            else:
                with server.one_at_a_time:
                    answer = grade_one(server.root, str(request.get("assignment", "")),
                                       str(request.get("student", "")))
        except (ValueError, TypeError) as exc:
            answer = {"success": False, "log": "", "error": str(exc)}
        self.wfile.write(json.dumps(answer).encode() + b"\n")


class Service(socketserver.ThreadingUnixStreamServer):
    """The grading service of one course root."""

    daemon_threads = True

    def __init__(self, root: Path, path: Path) -> None:
        self.root = Path(root).resolve()
        self.owner = self.root.stat().st_uid
        self.one_at_a_time = threading.Lock()
        path = Path(path)
        if path.is_socket():
            path.unlink()
        super().__init__(str(path), GradeRequestHandler)
        path.chmod(0o666)  # anyone may connect; only the owner is served (SO_PEERCRED)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.course.autograde_service", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="the course root (its owner may ask)")
    parser.add_argument("--socket", required=True, help="the Unix socket to listen on")
    args = parser.parse_args(argv)
    with Service(Path(args.root), Path(args.socket)) as service:
        try:
            service.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            with_path = Path(args.socket)
            if with_path.is_socket():
                with_path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
