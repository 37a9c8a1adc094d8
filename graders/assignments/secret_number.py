"""The secret number server (seed 002, exercise 2).

Spec, as the student notebook states it:

* the server listens on TCP port 12093 (any interface, or 127.0.0.1);
* when it starts it picks the secret, a whole number from 1 to 100
  (``random.randint(1, 100)``), or, when the environment variable
  ``SECRET_NUMBER`` is set, ``int(os.environ["SECRET_NUMBER"])``: the grader
  sets it to make its checks deterministic;
* a client sends guesses, one per line: a whole number in decimal (ASCII
  digits, an optional sign, spaces around it allowed) and a newline ``b"\\n"``.
  It may send several guesses on one connection and closes it when done;
* the server answers every guess, in order, with exactly one line:
  ``b"wrong\\n"`` (nobody has found the secret yet and this is not it),
  ``b"right\\n"`` (this guess is the first right one ever), or
  ``b"secret found\\n"`` (someone found it before: every later guess, from
  any client, gets this, whatever the number);
* a line that is not a whole number (``abc``, an empty line, ``4.5``) gets a
  line starting with ``error`` (e.g. ``b"error: send a whole number\\n"``) and
  the connection goes on; a number with thousands of digits may get ``wrong``
  or an error line;
* "found" is shared by all clients: it lives in the server, not in one
  connection (a ForkingTCPServer keeps it in a child process: wrong);
* clients are served at the same time (one client that stays connected does
  not keep the others waiting).

Sources: seed 002 ("Exercises", 2), seed 001 (ForkingMixIn / ThreadingMixIn).
"""
from __future__ import annotations

import threading

from ..checks import Assignment, Failure
from ..harness import show

PORT = 12093
WAIT = 5.0  # seconds a correct server gets for any reply

WRONG, RIGHT, FOUND = b"wrong\n", b"right\n", b"secret found\n"

ASSIGNMENT = Assignment("secret_number", title="The secret number server",
                        answer_file="secret_number_server.py", port=PORT)
check = ASSIGNMENT.check

MEANING = {WRONG: "wrong: nobody has found it and this is not it",
           RIGHT: "right: the first right guess",
           FOUND: "secret found: someone has already found it"}


def secret(value: int) -> dict[str, str]:
    """The environment that fixes the secret for a check."""
    return {"SECRET_NUMBER": str(value)}


def guess(client, number: str, expected: bytes | None, *, why: str = "") -> bytes:
    """Client sends the guess ``number`` (a line) and reads one reply line.

    ``expected`` is the exact reply the spec demands (None: only that a line
    comes back).  Raises Failure otherwise.
    """
    client.send(number.encode("utf-8") + b"\n")
    reply = client.receive_line(timeout=WAIT)
    shown = number if len(number) <= 40 else number[:20] + f"...({len(number)} characters)"
    if not reply.endswith(b"\n"):
        if not reply:
            what = "the server closed the connection" if client.peer_closed else f"nothing in {WAIT:g} s"
            raise Failure(f"client {client.name} guessed {shown!r} and got no reply ({what})",
                          expected=show(expected) if expected else "one line",
                          actual="nothing",
                          help="Answer every guess with one line (ending in b'\\n') and keep the "
                               "connection open for the client's next guess: for line in self.rfile: ...")
        raise Failure(f"client {client.name}'s reply to {shown!r} does not end with a newline",
                      expected=show(expected) if expected else "one line", actual=show(reply),
                      help="Every reply is one line: end it with b'\\n'.")
    if expected is not None and reply != expected:
        raise Failure(f"client {client.name} guessed {shown!r}{why} and got the wrong reply",
                      expected=show(expected) + f" ({MEANING[expected]})", actual=show(reply),
                      help="The replies are exactly b'wrong\\n', b'right\\n' and b'secret found\\n'."
                      if reply not in MEANING else HELP_STATE if expected == FOUND else
                      "Compare the guess with the secret as numbers (int(line)), and read the secret "
                      "from SECRET_NUMBER when it is set.")
    return reply


HELP_STATE = ("Once a client has found the secret, every later guess gets b'secret found\\n'. Keep "
              "'found' where every client sees it: in the server (a global or an attribute of the server "
              "object, guarded by a threading.Lock), not in the handler object (one per connection) and "
              "not in a forked child process (ForkingTCPServer: the parent never sees the child's "
              "variables). Use ThreadingTCPServer.")


@check("starts and listens on a TCP port")
def starts(run):
    run.start(env=secret(37))


@check("listens on port 12093, as the spec says", depends="starts")
def uses_port(run):
    server = run.start(env=secret(37))
    if server.port != PORT:
        raise Failure(f"your server listens on port {server.port}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"Clients look for the server on port {PORT}: PORT = {PORT}.")


@check("answers wrong and right guesses (SECRET_NUMBER=37)", depends="starts")
def answers_guesses(run):
    server = run.start(env=secret(37))
    a = server.client("A")
    guess(a, "12", WRONG, why=" (the secret is 37)")
    a.close()
    b = server.client("B")
    guess(b, "73", WRONG, why=" (the secret is 37)")
    guess(b, "37", RIGHT, why=" (the secret is 37; nobody had found it)")
    b.close()


@check("once the secret is found, every later client gets 'secret found'", depends="answers_guesses")
def found_for_everyone(run):
    server = run.start(env=secret(64))
    a = server.client("A")
    guess(a, "64", RIGHT, why=" (the secret is 64)")
    a.close()
    for name, number in (("B", "64"), ("C", "3"), ("D", "64")):
        client = server.client(name)
        guess(client, number, FOUND, why=" after client A had found the secret")
        client.close()


@check("answers several guesses on one connection", depends="answers_guesses", hidden=True)
def several_guesses(run):
    server = run.start(env=secret(81))
    a = server.client("A")
    for number, reply in (("10", WRONG), ("20", WRONG), ("81", RIGHT), ("81", FOUND), ("5", FOUND)):
        guess(a, number, reply, why=" (the secret is 81), on the same connection")
    a.close()


@check("serves clients at the same time", depends="answers_guesses", hidden=True)
def concurrent_guessers(run):
    server = run.start(env=secret(50))
    a = server.client("A")
    guess(a, "1", WRONG)
    try:
        guess(server.client("B"), "2", WRONG, why=" while client A was still connected")
    except Failure as failure:
        failure.help = ("Serve every client in a thread of its own (ThreadingTCPServer): a plain TCPServer "
                        "serves client A until A hangs up, and B waits.")
        raise
    others = [server.client(name) for name in "CDEFGH"]
    for n, client in enumerate(others):
        client.send(f"{10 + n}\n")
    errors: list[Failure] = []

    def answer(client, n):
        reply = client.receive_line(timeout=WAIT)
        if reply != WRONG:
            errors.append(Failure(f"client {client.name} guessed {10 + n} at the same time as five others "
                                  "and did not get its reply", expected=show(WRONG), actual=show(reply),
                                  help="Serve every client in a thread of its own (ThreadingTCPServer)."))

    threads = [threading.Thread(target=answer, args=(c, n), daemon=True) for n, c in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT + 5)
    if errors:
        raise errors[0]
    guess(a, "3", WRONG, why=" (A's second guess, after the others)")


@check("answers malformed guesses with an error line and goes on", depends="answers_guesses",
       hidden=True)
def malformed_guesses(run):
    server = run.start(env=secret(42))
    a = server.client("A")
    for bad in ("abc", "", "4.5", "forty-two"):
        reply = guess(a, bad, None)
        if not reply.startswith(b"error"):
            raise Failure(f"client A sent {bad!r}, which is not a whole number, and did not get an error line",
                          expected="a line starting with 'error', e.g. b'error: send a whole number\\n'",
                          actual=show(reply),
                          help="int(line) raises ValueError for such a line: catch it and reply with a "
                               "line that starts with 'error'.")
    guess(a, "1" + "0" * 40, WRONG, why=" (a whole number, just not the secret 42)")
    reply = guess(a, "9" * 5000, None)
    if reply != WRONG and not reply.startswith(b"error"):
        raise Failure("client A guessed a number with 5000 digits and got neither 'wrong' nor an error line",
                      expected="b'wrong\\n' or a line starting with 'error'", actual=show(reply),
                      help="Python refuses int() of more than 4300 digits (ValueError): reply with an "
                           "error line.")
    guess(a, " 42 ", RIGHT, why=" after the malformed guesses (the secret is 42)")
    server.require_alive("after the malformed guesses")


@check("picks the secret from 1 to 100 when SECRET_NUMBER is not set", depends="answers_guesses",
       hidden=True)
def random_secret(run):
    server = run.start()
    g = server.client("G")
    found_at = None
    for number in range(1, 101):
        reply = guess(g, str(number), None)
        if reply == RIGHT:
            found_at = number
            break
        if reply != WRONG:
            raise Failure(f"guess {number}, with no SECRET_NUMBER set, did not get 'wrong' or 'right'",
                          expected=show(WRONG) + " or " + show(RIGHT), actual=show(reply),
                          help="Without SECRET_NUMBER, pick secret = random.randint(1, 100) once, when "
                               "the server starts.")
    g.close()
    if found_at is None:
        raise Failure("no guess from 1 to 100 was right (no SECRET_NUMBER set)",
                      expected="exactly one of 1, 2, ..., 100 is right", actual="all were wrong",
                      help="Without SECRET_NUMBER, pick secret = random.randint(1, 100) (1 and 100 "
                           "included) once, when the server starts.")
