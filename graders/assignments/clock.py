"""The clock server (seeds 001 and 002: clockserver.py / clockclient.py).

Spec, as the student notebook states it:

* the server listens on TCP port 12091 (any interface, or 127.0.0.1);
* a client connects and sends the 25-byte question ``What is the time?``
  padded with spaces (``'What is the time?'.ljust(25)``, ASCII);
* the server answers with ``time.ctime()`` of the moment it answers (24 ASCII
  bytes, e.g. ``Sat Nov 21 19:42:10 2026``) and closes the connection;
* it goes on serving the next client.

The seed's own clockserver.py meets this spec and passes every check.
"""
from __future__ import annotations

import time

from ..checks import Assignment, Failure
from ..harness import show

PORT = 12091
QUESTION = "What is the time?".ljust(25).encode("ascii")
CTIME_BYTES = 24
SLACK_SECONDS = 2.0  # a reply may be this far from the clock of the moment it was asked

ASSIGNMENT = Assignment("clock", title="The clock server", answer_file="clock_server.py", port=PORT)
check = ASSIGNMENT.check


def parse_ctime(data: bytes) -> float | None:
    """Seconds since the epoch for a ``time.ctime()`` text, None if ``data`` is not one."""
    try:
        text = data.decode("ascii")
        parsed = time.strptime(text, "%a %b %d %H:%M:%S %Y")
    except (UnicodeDecodeError, ValueError):
        return None
    stamp = time.mktime(parsed)
    return stamp if time.ctime(stamp) == text else None


def ask_time(server, name: str):
    """Client ``name`` asks the question; returns (reply bytes, asked-at, answered-at)."""
    client = server.client(name)
    asked = time.time()
    client.send(QUESTION)
    reply = client.receive(CTIME_BYTES)
    answered = time.time()
    if len(reply) == CTIME_BYTES and not client.peer_closed:
        reply += client.receive(64, timeout=0.5)  # anything sent after the time text
    client.close()
    return reply, asked, answered


def require_current_time(reply: bytes, asked: float, answered: float, who: str) -> None:
    stamp = parse_ctime(reply.rstrip(b"\r\n"))
    example = time.ctime().encode()
    if not reply:
        raise Failure(f"client {who} sent the question but got no answer",
                      expected=show(example), actual="nothing",
                      help="After reading the 25-byte question, write time.ctime() encoded as bytes "
                           "(self.wfile.write(ctime().encode()) or sock.sendall(...)).")
    if stamp is None:
        raise Failure(f"client {who} did not get a time.ctime() text",
                      expected=show(example) + ", the text of time.ctime()",
                      actual=show(reply),
                      help="Send exactly time.ctime().encode(): no other words, no other time format.")
    if not asked - SLACK_SECONDS <= stamp <= answered + SLACK_SECONDS:
        raise Failure(f"client {who} got a time that is not the current time",
                      expected=f"a time within {SLACK_SECONDS:g} s of {time.ctime(asked)}",
                      actual=reply.decode(),
                      help="Call ctime() when the client asks, not once when the server starts.")


@check("starts and listens on a TCP port")
def starts(run):
    run.start()


@check("listens on port 12091, as the spec says", depends="starts")
def uses_port(run):
    server = run.start()
    if server.port != PORT:
        raise Failure(f"your server listens on port {server.port}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"Clients look for the clock on port {PORT}: PORT = {PORT}.")


@check("answers the question with the current time", depends="starts")
def answers_question(run):
    server = run.start()
    reply, asked, answered = ask_time(server, "A")
    require_current_time(reply, asked, answered, "A")


@check("serves several clients one after another", depends="answers_question", hidden=True)
def several_clients(run):
    server = run.start()
    for name in ("B", "C", "D"):
        reply, asked, answered = ask_time(server, name)
        require_current_time(reply, asked, answered, name)
    server.require_alive("after serving three clients")


@check("waits for the whole 25-byte question before answering", depends="answers_question", hidden=True)
def waits_for_whole_question(run):
    server = run.start()
    client = server.client("A")
    client.send(QUESTION[:10])
    early = client.receive(CTIME_BYTES, timeout=0.5)
    if early:
        raise Failure("your server answered before the whole question had arrived",
                      expected="no answer until all 25 bytes are in", actual=show(early),
                      help="One recv() is not one message: TCP may deliver the question in pieces. "
                           "Use self.rfile.read(25), or recv() in a loop until you have 25 bytes.")
    asked = time.time()
    client.send(QUESTION[10:])
    reply = client.receive(CTIME_BYTES)
    require_current_time(reply, asked, time.time(), "A")


@check("survives a client that connects and sends nothing", depends="answers_question", hidden=True)
def silent_client(run):
    server = run.start()
    silent = server.client("S")
    silent.receive(1, timeout=0.3)  # S says nothing; the server may wait for it
    silent.close()
    reply, asked, answered = ask_time(server, "A")
    require_current_time(reply, asked, answered, "A")


@check("survives a client that hangs up in the middle of the question", depends="answers_question",
       hidden=True)
def abrupt_client(run):
    server = run.start()
    rude = server.client("R")
    rude.send(QUESTION[:7])
    rude.abort()
    reply, asked, answered = ask_time(server, "A")
    require_current_time(reply, asked, answered, "A")
