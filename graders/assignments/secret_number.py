"""The secret number server (seed 002, exercise 2).

The spec is the numbered list in the "## The spec" cell of
solutions/secret_number/secret_number.ipynb; :data:`SPEC` holds it in short,
and every check names the points it verifies (``spec=``).  The decisions the
seed leaves open, as the notebook now states them:

* a guess is a line: ASCII digits, maybe a sign, spaces or tabs around it, and
  ``b"\\n"`` (or ``b"\\r\\n"``); ``-5``, ``+5``, ``005`` and ``0`` are whole
  numbers (wrong ones); a line is a line however the bytes arrive: several
  in one piece (pipelined), or one cut in pieces anywhere, even inside a
  multi-byte UTF-8 character;
* when the client shuts its sending side, an unfinished last line is still a
  guess and is answered; then the server closes the connection;
* a line that is not a whole number (``abc``, empty, only spaces, ``4.5``, bytes
  that are not UTF-8) gets one line starting with ``error`` (once the secret is
  found, ``secret found`` will do too);
* exactly one client ever hears ``right``, even when several send the secret at
  the same moment;
* a client that vanishes (connection reset) does not stop the server.

How the checks stay deterministic (see the report in issue 9):

* every server gets a ``sitecustomize`` (in its own work directory, on
  ``PYTHONPATH``) that seeds :mod:`random` with a known seed: a server that
  ignores ``SECRET_NUMBER`` has a known secret, and :func:`random_secret` uses
  seeds whose first draws expose a secret outside 1..100, a fixed one, and one
  drawn again for every connection (with or without a draw at start-up).  A
  correct server that draws in another way (``random.random()``, :mod:`secrets`)
  gets three independent secrets and is taken for a fixed one only when all
  three are equal: probability 1e-4;
* the range of the random secret: two more starts of :func:`random_secret` force
  every draw of :mod:`random` and :mod:`secrets` to its lowest and to its highest
  value (:data:`EXTREME_DRAWS`), where random.randint(1, 100) gives 1 and 100.
  A secret that is right for no number from 1 to 100 fails at once (never so
  for a correct server, however it draws).  Other ends (randint(2, 100) gives
  2, randint(1, 99) 99) are judged only when :data:`CONFIRM` more starts in
  each mode give the same two numbers again: a correct server whose secret
  does not follow these draws (os.urandom, a random.Random() of its own)
  fails only when four independent secrets from 1 to 100 repeat the first two,
  probability 1e-8.  The check assumes the secret grows with the draws, as with
  randint, randrange, choice or random(); when the lowest draws give a secret
  no smaller than the highest (101 - randint(1, 100)), the range is not judged;
* a client whose replies back up (:func:`replies_back_up`, in
  concurrent_guessers): the server's accepted connections get a small send
  buffer (graders.checking.sites.small_send_buffers), so that 50 000 unread replies surely fill it
  and the client's receive buffer; the client waits until the server has read
  its guesses or has stopped reading (its unread bytes, seen in the server's
  network namespace, stay the same), not a fixed time;
* a cut line is proved read before its rest is sent: the piece travels in the
  same write as a whole guess, and the reply to that guess proves the server
  has taken in the write;
* the race of :func:`one_winner` is held open: in its server every socket send
  of a short message holding ``right`` first sleeps :data:`HOLD` seconds (the
  sitecustomize patches ``socket.socket.send``/``sendall``), so a server that
  tells the winner before it records "found" lets every client that sends the
  secret in that time hear ``right`` too; a server that decides under a lock,
  or records before it sends, is only slower.

Sources: seed 002 ("Exercises", 2), seed 001 (ForkingMixIn / ThreadingMixIn);
Python docs: random.seed, socket.socket.send, socket.shutdown, site
(sitecustomize).
"""
from __future__ import annotations

import fcntl
import selectors
import socket
import struct
import termios
import threading
import time

from graders.checking import sites
from graders.checking.checks import Assignment, Failure
from graders.checking.harness import Client, Server, show
from graders.sandbox import isolation_mode

PORT = 12093
WAIT = 5.0  # seconds a correct server gets for any reply
START_WAIT = 20.0  # seconds a server gets to listen (a loaded grading machine starts Python slowly)

WRONG, RIGHT, FOUND = b"wrong\n", b"right\n", b"secret found\n"
REPLIES = (WRONG, RIGHT, FOUND)

SPEC = {
    1: "listens on TCP port 12093 ('' or '127.0.0.1')",
    2: "picks the secret once, at start: random.randint(1, 100), or SECRET_NUMBER when set",
    3: "guesses are lines: a decimal whole number (sign, spaces around, \\r\\n allowed), several per "
       "connection, however the bytes arrive; an unfinished last line counts when the client closes",
    4: "answers every guess, in order, with exactly one line, and sends nothing else: wrong, right (the "
       "first right guess ever) or secret found (every later guess, whatever the number)",
    5: "a line that is not a whole number (abc, empty, 4.5, not UTF-8) gets one line starting with "
       "'error' (or 'secret found', once found); the connection goes on",
    6: "'found' is shared by all clients: only one client ever hears right, even when several send the "
       "secret at the same moment",
    7: "serves clients at the same time: a connected client, even one halfway through a line, keeps "
       "nobody waiting; a client that vanishes (reset) does not stop the server",
}

ASSIGNMENT = Assignment("secret_number", title="The secret number server",
                        answer_file="secret_number_server.py", port=PORT, spec=SPEC)
check = ASSIGNMENT.check

MEANING = {WRONG: "wrong: nobody has found it and this is not it",
           RIGHT: "right: the first right guess",
           FOUND: "secret found: someone has already found it"}

# random.seed values for the servers' sitecustomize.  With seed 3 the first draws of
# random.randint(1, 100) are 31, 76, 70: no check's secret or guess relies on them.
DEFAULT_SEED = 3
# random_secret: (seed, first draws of randint(1, 100)).  23: 100, 38 (a secret drawn again
# per connection changes);  63: 57, 57, 38 (it changes even when one draw came at start-up);
# 139: 1, 89 (randrange(100), randint(0, 99): 0, outside 1..100).
RANDOM_SEEDS = ((23, 100), (63, 57), (139, 1))
HOLD = 0.3  # seconds one_winner's servers hold a reply holding 'right' before sending it

HELP_STATE = ("Once a client has found the secret, every later guess gets b'secret found\\n'. Keep "
              "'found' where every client sees it: in the server (a global or an attribute of the server "
              "object, guarded by a threading.Lock), not in the handler object (one per connection) and "
              "not in a forked child process (ForkingTCPServer: the parent never sees the child's "
              "variables). Use ThreadingTCPServer, or share it between processes (multiprocessing.Value).")
HELP_LINES = ("TCP is a stream of bytes, not of messages: one recv() may return part of a line, or several "
              "lines. Read lines (for line in self.rfile, or sock.makefile('rb')), or keep what recv() "
              "returned in a buffer and answer each complete line in it, in order.")


# -- starting servers ------------------------------------------------------------------

HOLD_RIGHT = """
import socket as _socket
import time as _time


def _held(send):
    def held(self, data, *args):
        if len(data) < 256 and b"right" in bytes(data):
            _time.sleep({hold!r})  # widen the moment between deciding 'right' and recording 'found'
        return send(self, data, *args)
    return held


_socket.socket.send = _held(_socket.socket.send)
_socket.socket.sendall = _held(_socket.socket.sendall)
"""

# random_secret's forced draws: every draw of the random module's functions (random.randint, randrange,
# choice, sample, random, uniform) and of secrets.randbelow/choice (random.SystemRandom) is the lowest
# (or highest) value it can take, so random.randint(1, 100) gives 1 (or 100).  Only the module's own
# generator (random._inst) and SystemRandom are forced: a random.Random() of the server's own, and
# the one tempfile and multiprocessing keep for their file names, stay random.
EXTREME_DRAWS = """
import random as _random

_LOWEST = {lowest!r}


def _below(n):
    return 0 if _LOWEST else n - 1


_FLOAT = 0.0 if _LOWEST else 1.0 - 2.0 ** -53  # the largest float below 1: int(random() * 100) + 1 == 100
_random._inst._randbelow = _below  # what randint, randrange, choice, sample and shuffle draw with
_random._inst.random = lambda: _FLOAT  # what uniform, choices and the rest draw with
_random.random = _random._inst.random  # the module's function was bound to the generator's own at import
_random.SystemRandom._randbelow = lambda self, n: _below(n)  # secrets.randbelow, secrets.choice
_random.SystemRandom.random = lambda self: _FLOAT
"""
EXTREMES = ("lowest", "highest")
CONFIRM = 2  # starts per extreme that must agree again before random_secret judges the range


def site_source(*, seed: int, hold_right: float | None = None, extreme: str | None = None,
                small_buffers: bool = False) -> str:
    """The sitecustomize a server starts with: seeds random; ``hold_right`` (seconds) delays a reply with 'right'.

    With ``hold_right``, every socket send of a short message holding b"right"
    first sleeps that long (releasing the GIL; in a forked child too): a server
    that sends 'right' before it records 'found' lets the other clients in.
    With ``extreme`` ("lowest" or "highest", see :data:`EXTREME_DRAWS`), every
    draw of the random module and of secrets is the lowest or highest it can be.
    With ``small_buffers``, every connection the server accepts gets a send
    buffer of graders.checking.sites.SMALL_SEND_BUFFER bytes (graders.checking.sites.small_send_buffers).
    """
    lines = ['"""Put here by the grader: seeds random so that checks are repeatable."""',
             "import random", f"random.seed({seed})"]
    if hold_right is not None:
        lines.append(HOLD_RIGHT.replace("{hold!r}", repr(hold_right)))
    if extreme is not None:
        lines.append(EXTREME_DRAWS.replace("{lowest!r}", repr(extreme == "lowest")))
    if small_buffers:  # concurrent_guessers: the replies of a client that does not read them back up
        lines.append(sites.small_send_buffers())
    return "\n".join(lines) + "\n"


def start(run, secret_value: int | None = None, *, seed: int = DEFAULT_SEED,
          hold_right: float | None = None, extreme: str | None = None, small_buffers: bool = False,
          timeout: float = START_WAIT) -> Server:
    """Start the student's server (as ``run.start`` does) with a seeded random module (its
    sitecustomize: :func:`site_source`).

    ``secret_value`` is put in SECRET_NUMBER (None: not set).  Raises Failure like ``Run.start``.
    """
    env = {} if secret_value is None else {"SECRET_NUMBER": str(secret_value)}
    return run.start(timeout=timeout, env=env, site=site_source(seed=seed, hold_right=hold_right,
                                                                extreme=extreme, small_buffers=small_buffers))


def at_once(run, count: int, body) -> None:
    """Call ``body(i)`` for i in range(count), in threads: each starts a server of its own.

    In the fallback isolation mode servers share the host's ports, so the calls
    run one after another, each server closed before the next starts.  The
    first Failure raised is raised again.
    """
    if isolation_mode() != "namespaces":
        for i in range(count):
            body(i)
            run.close()
        return
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            body(i)
        except BaseException as exc:  # noqa: BLE001 - raised again below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    failures = [e for e in errors if isinstance(e, Failure)]
    if failures or errors:
        raise (failures or errors)[0]


# -- clients ------------------------------------------------------------------------

def quote(text: str | bytes) -> str:
    """A short quote of what a client sent (text where it is UTF-8, else bytes)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return repr(text) if len(text) <= 40 else repr(text[:20]) + f"...({len(text)} bytes)"
    return repr(text) if len(text) <= 40 else repr(text[:20]) + f"...({len(text)} characters)"


def exact_replies(server: Server) -> Server:
    """Mark ``server``'s check as one whose point is the exact reply lines (answers_guesses).

    Fair partial credit (issue 21): the other checks' point is the framing,
    the state, concurrency..., so they read each reply line tolerantly
    (:func:`loose`): 'Wrong', ' right ' or 'Secret found!\\r\\n' is taken as the
    reply it spells.  A reply with no newline cannot be told from the next
    one: every check fails on it (read_reply).
    """
    server.exact = True
    return server


def loose(reply: bytes) -> bytes:
    """The spec's reply that the line ``reply`` spells, ignoring case, spaces and a final '.' or '!'
    (b'Wrong\\r\\n' is WRONG, b'Secret found!\\n' is FOUND); ``reply`` itself when it spells none."""
    words = b" ".join(reply.split()).lower().rstrip(b".!")
    return next((canonical for canonical in REPLIES if words == canonical.strip()), reply)


def as_read(client: Client, reply: bytes) -> bytes:
    """``reply`` as ``client``'s check reads it: as it is in a check of the exact replies
    (:func:`exact_replies`), else :func:`loose`."""
    return reply if client.server.exact else loose(reply)


def read_reply(client: Client, what: str, expected: str = "one line") -> bytes:
    """The next line from the server, answering ``what`` (for the failure); Failure if none comes.

    Read as the check reads replies (:func:`as_read`)."""
    reply = client.receive_line(timeout=WAIT)
    if reply.endswith(b"\n"):
        return as_read(client, reply)
    if not reply:
        if client.peer_closed:
            raise Failure(f"client {client.name} sent {what} and the server closed the connection "
                          "without a reply", expected=expected, actual="the connection closed",
                          help="Answer every guess with one line, and keep the connection open for the "
                               "client's next guess: for line in self.rfile: ... (the loop ends when the "
                               "client hangs up).")
        raise Failure(f"client {client.name} sent {what} and got no reply in {WAIT:g} s",
                      expected=expected, actual="nothing",
                      help="Answer every guess with one line ending in b'\\n', as soon as its line "
                           "has arrived.")
    raise Failure(f"client {client.name}'s reply to {what} does not end with a newline",
                  expected=expected, actual=show(reply),
                  help="Every reply is one line: end it with b'\\n'.")


def guess(client: Client, number: str | bytes, expected: bytes | None, *, why: str = "",
          hint: str | None = None) -> bytes:
    """Client sends the guess ``number`` and a newline and reads one reply line.

    ``expected`` is the exact reply the spec demands (None: any line).  Raises
    Failure otherwise, with ``hint`` (or a hint chosen from the reply).
    """
    data = (number.encode("utf-8") if isinstance(number, str) else number) + b"\n"
    client.send(data)
    want = show(expected) + f" ({MEANING[expected]})" if expected else "one line"
    reply = read_reply(client, f"the guess {quote(number)}", want)
    if expected is not None and reply != expected:
        if hint is None:
            if reply not in REPLIES and not reply.startswith(b"error"):
                hint = ("The replies are exactly b'wrong\\n', b'right\\n' and b'secret found\\n' (lower "
                        "case, one line each), and the server sends nothing else: no greeting when a client "
                        "connects, no second line.")
            elif expected == FOUND:
                hint = HELP_STATE
            else:
                hint = "Compare the guess with the secret as numbers: int(line) == secret."
        raise Failure(f"client {client.name} guessed {quote(number)}{why} and got the wrong reply",
                      expected=want, actual=show(reply), help=hint,
                      dependents_run=loose(reply) == expected)  # the right reply, misspelt: a slip
    return reply


def shut_write(client: Client) -> None:
    """Half-close: the client will send nothing more (FIN), but still reads (socket.shutdown)."""
    client.sock.shutdown(socket.SHUT_WR)
    client.server.transcript.add(client.name, "shuts its sending side (sends nothing more)")


# -- the checks -----------------------------------------------------------------------

@check("starts and listens on a TCP port", spec=1)
def starts(run):
    start(run, 37)


@check("listens on port 12093 of 127.0.0.1, as the spec says", depends="starts", spec=1)
def uses_port(run):
    server = start(run, 37)
    if server.port != PORT:
        raise Failure(f"your server listens on port {server.port}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"Clients look for the server on port {PORT}: PORT = {PORT}, and no port "
                           "from the command line or the environment.")
    probe = Client(server, "P")
    server.clients.append(probe)
    host, server.host = server.host, "127.0.0.1"
    try:
        probe.connect()
    except Failure:
        if server.address_not_to_blame(PORT, "while client P connected"):
            return
        raise Failure(f"client P could not connect to 127.0.0.1 port {PORT}; your server listens on "
                      f"{host} only", expected=f"a connection to 127.0.0.1:{PORT}", actual="refused",
                      help="Bind '' (every interface) or '127.0.0.1': ThreadingTCPServer(('', PORT), ...)."
                      ) from None
    finally:
        server.host = host
    probe.close()


@check("uses SECRET_NUMBER as the secret when it is set", depends="starts", spec=2)
def secret_from_env(run):
    """Fails only on proof: another number than SECRET_NUMBER is right."""
    server = start(run, 37)
    a = server.client("A")
    try:
        first = guess(a, "37", None)
    except Failure:
        return  # no usable reply at all: several_guesses and answers_guesses say why
    if first != WRONG:
        return
    for number in range(1, 101):
        if number == 37:
            continue
        try:
            reply = guess(a, str(number), None)
        except Failure:
            return
        if reply == RIGHT:
            raise Failure(f"with SECRET_NUMBER=37, client A's guess 37 got 'wrong' and its guess {number} "
                          f"got 'right': your server's secret is {number}, not 37",
                          expected="b'right\\n' for 37", actual=f"b'wrong\\n' for 37, b'right\\n' for {number}",
                          help="When the environment variable SECRET_NUMBER is set, the secret is "
                               "int(os.environ['SECRET_NUMBER']) (the grader sets it to know the secret); "
                               "only without it use random.randint(1, 100).")
        if reply != WRONG:
            return


@check("answers each of several guesses on one connection", depends="secret_from_env", spec=3)
def several_guesses(run):
    server = start(run, 81)
    a = server.client("A")
    for n, number in enumerate(("10", "20", "30")):
        a.send(number + "\n")
        reply = a.receive_line(timeout=WAIT)
        if not reply:  # any bytes will do here: answers_guesses checks what they say
            where = "first" if n == 0 else ("second" if n == 1 else "third")
            what = "the server closed the connection" if a.peer_closed else f"nothing came in {WAIT:g} s"
            raise Failure(f"client A's {where} guess on one connection, {number!r}, got no reply ({what})",
                          expected="one line per guess", actual=what,
                          help="A client sends several guesses on one connection: loop over its lines "
                               "(for line in self.rfile: ...) until it hangs up, and end every reply "
                               "with b'\\n'.")
    a.close()


@check("answers wrong, right and then secret found (SECRET_NUMBER=37)", depends="several_guesses", spec=4)
def answers_guesses(run):
    """The exact reply lines: the only check of their spelling.  A server whose replies are right but
    misspelt ('Wrong', spaces) fails here only: the checks that depend on this one read them loosely."""
    server = exact_replies(start(run, 37))
    a = server.client("A")
    guess(a, "12", WRONG, why=" (the secret is 37)")
    for number in ("0", "150"):
        guess(a, number, WRONG, why=" (the secret is 37)",
              hint="0 and 150 are whole numbers, just not the secret: they are wrong, not errors "
                   "(there is no range check in the spec).")
    a.close()
    b = server.client("B")
    guess(b, "73", WRONG, why=" (the secret is 37)")
    b.send("37\n")
    reply = read_reply(b, "the guess '37'", show(RIGHT))
    if reply != RIGHT:
        hint = ("The first right guess hears b'right\\n': test 'found' before you set it, e.g. "
                "if found: secret found / elif guess == secret: found = True; right / else: wrong."
                if reply == FOUND else
                "Compare the guess with the secret as numbers: int(line) == secret."
                if reply in REPLIES or reply.startswith(b"error") else
                "The replies are exactly b'wrong\\n', b'right\\n' and b'secret found\\n'.")
        raise Failure("client B guessed '37' (the secret is 37; nobody had found it) and got the wrong "
                      "reply", expected=show(RIGHT) + f" ({MEANING[RIGHT]})", actual=show(reply), help=hint,
                      dependents_run=loose(reply) == RIGHT)
    again = ("Test 'found' first: once the secret is found, every guess hears b'secret found\\n', also the "
             "secret itself and also from the client that found it.")
    guess(b, "37", FOUND, why=" again, after it had found the secret", hint=again)
    guess(b, "5", FOUND, why=" after it had found the secret",
          hint="Once the secret is found, every guess hears b'secret found\\n', whatever the number: not "
               "b'wrong\\n'.")
    b.close()


@check("once the secret is found, every other client hears 'secret found'", depends="answers_guesses",
       spec=6)
def found_for_everyone(run):
    server = start(run, 64)
    a = server.client("A")
    guess(a, "64", RIGHT, why=" (the secret is 64)")
    a.close()
    for name, number in (("B", "64"), ("C", "3")):
        client = server.client(name)
        guess(client, number, FOUND, why=" after client A had found the secret")
        client.close()


@check("reads the number in every form: spaces, tabs, a sign, zeros in front, \\r\\n",
       depends="answers_guesses", spec=3, hidden=True)
def number_forms(run):
    server = start(run, 37)
    a = server.client("A")
    forms = (
        (" 5", "Spaces around the number are allowed: int() ignores them (int(' 5') == 5). Strip the line "
               "before you test it (isdigit(), a regular expression), or just use int() and catch ValueError."),
        ("5  ", None), ("\t5\t", None),
        ("5\r", "Some clients (telnet, Windows) end lines with b'\\r\\n': strip the whitespace, as int() does."),
        ("-5", "-5 is a whole number (not the secret, so it is wrong): '-5'.isdigit() is False. Use int() "
               "and catch ValueError instead."),
        ("+5", None), ("005", "Zeros in front are allowed: int('005') == 5."),
    )
    last_hint = None
    for form, hint in forms:
        last_hint = hint or last_hint
        guess(a, form, WRONG, why=" (a whole number; the secret is 37)", hint=last_hint)
    a.send(" +037 \n")
    reply = read_reply(a, "the guess ' +037 '", show(RIGHT))
    if reply != RIGHT:
        hint = "' +037 ' is the number 37: compare numbers, int(line) == secret, not text."
        if reply.startswith(b"error"):
            hint = ("' +037 ' is a whole number: a sign, zeros in front and spaces around are allowed. " +
                    "Use int(line) and catch ValueError.")
        raise Failure("client A guessed ' +037 ' (the secret is 37, written with a sign, a zero and spaces) "
                      "and got the wrong reply", expected=show(RIGHT), actual=show(reply), help=hint)
    a.close()


@check("answers malformed lines with one error line and goes on", depends="answers_guesses",
       spec=5, hidden=True)
def malformed_guesses(run):
    server = start(run, 42)
    a = server.client("A")
    bad_lines = ("abc", "", "4.5", "forty-two", "   ", "4 2", b"\xff\xfe4\xc0", "quarante-deux \u00e9")
    for bad in bad_lines:
        try:
            reply = guess(a, bad, None)
        except Failure as failure:
            failure.help = ("A line that is not a whole number must not end the handler: int() raises "
                            "ValueError (decode() raises UnicodeDecodeError, a ValueError too): catch it, "
                            "reply with one line starting with 'error', and go on reading lines."
                            if a.peer_closed else
                            "Every line gets one reply line, also an empty or blank one: it is not a whole "
                            "number, so it gets a line starting with 'error'.")
            raise
        if not reply.startswith(b"error"):
            hint = ("int(line) raises ValueError for such a line: catch it and reply with one line that "
                    "starts with 'error'.")
            if reply not in REPLIES and bad != bad_lines[0]:
                raise Failure(f"client A sent {quote(bad)} and got {show(reply)}: no reply of the spec. Was it "
                              "the second line of the reply to the line before?",
                              expected="one line starting with 'error' for each malformed line",
                              actual=show(reply),
                              help="Answer a malformed line with exactly one line, e.g. b'error: send a whole "
                                   "number\\n': every line you send is read as the reply to one guess.")
            if isinstance(bad, bytes):
                hint = ("Bytes that are not UTF-8 raise UnicodeDecodeError (a ValueError) in decode(): "
                        "catch it, or read bytes and call int() on them (int(b' 42\\n') == 42).")
            raise Failure(f"client A sent {quote(bad)}, which is not a whole number, and did not get an "
                          "error line", expected="a line starting with 'error', e.g. "
                          "b'error: send a whole number\\n'", actual=show(reply), help=hint)
    guess(a, "1" + "0" * 40, WRONG, why=" (a whole number, just not the secret 42)")
    reply = guess(a, "42", None)
    if reply != RIGHT:
        hint = ("Send exactly one line for each guess, also for an error: an extra line is taken as the "
                "reply to the next guess." if reply.startswith(b"error") or reply not in REPLIES else
                "Compare the guess with the secret as numbers.")
        raise Failure("client A guessed '42' (the secret) after the malformed lines and got the wrong reply",
                      expected=show(RIGHT), actual=show(reply), help=hint)
    reply = guess(a, "9" * 5000, None)  # last: a server that cuts it in pieces answers each (line_framing)
    if reply != FOUND and not reply.startswith(b"error"):
        raise Failure("client A guessed a number with 5000 digits and got neither 'secret found' nor an error "
                      "line", expected="b'secret found\\n' (the secret was found) or a line starting with "
                      "'error'", actual=show(reply),
                      help="Python refuses int() of more than 4300 digits (ValueError): reply with an "
                           "error line.")
    server.require_alive("after the malformed lines")


@check("reads lines however the bytes arrive: several in one piece, or one in pieces",
       depends="malformed_guesses", spec=3, hidden=True)
def line_framing(run):
    server = start(run, 37)
    a = server.client("A")
    a.send(b"12\nabc\n13\n")
    for sent, want in (("12", WRONG), ("abc", b"error"), ("13", WRONG)):
        reply = read_reply(a, f"'12\\nabc\\n13\\n' in one piece (three lines) and waited for the reply to {sent!r}",
                           show(want) if want != b"error" else "a line starting with 'error'")
        if not reply.startswith(want):
            raise Failure(f"client A sent three lines in one piece, '12\\nabc\\n13\\n', and the reply to "
                          f"{sent!r} was wrong", expected=show(want) if want != b"error" else "an error line",
                          actual=show(reply), help=HELP_LINES)
    # The piece "3" travels with the whole guess "5": the reply to 5 proves the server has read it.
    a.send(b"5\n3")
    reply = read_reply(a, "'5\\n3' (the guess 5, and the start of the next line)", show(WRONG))
    if reply != WRONG:
        raise Failure("client A sent '5\\n3' (the guess 5 and the first digit of the next guess) and the "
                      "reply to 5 was wrong", expected=show(WRONG), actual=show(reply), help=HELP_LINES)
    a.send(b"7\n")
    reply = read_reply(a, "'7\\n', the end of the line '37'", show(RIGHT))
    if reply != RIGHT:
        raise Failure("client A sent the guess 37 in two pieces, '3' (after '5\\n') and then '7\\n', and "
                      "did not get 'right'", expected=show(RIGHT) + " (for the line '37')",
                      actual=show(reply), help=HELP_LINES)
    # A two-byte UTF-8 character cut in the middle: "\xc3" comes with the guess 9, "\xa9" later.
    a.send(b"9\n\xc3")
    reply = read_reply(a, "'9\\n\\xc3' (the guess 9 and half of the character '\u00e9')", show(FOUND))
    if reply != FOUND:
        raise Failure("client A sent '9\\n' and the first byte of '\u00e9' in one piece, and the reply to 9 "
                      "was wrong", expected=show(FOUND), actual=show(reply), help=HELP_LINES)
    a.send(b"\xa9\n")
    reply = read_reply(a, "the second byte of '\u00e9' and '\\n' (the line '\u00e9')",
                       "an error line (or 'secret found')")
    if not reply.startswith(b"error") and reply != FOUND:  # after the find, FOUND may answer it too
        raise Failure("client A sent the line '\u00e9' cut inside its UTF-8 bytes, and did not get one error "
                      "line for it", expected="a line starting with 'error' (or b'secret found\\n': the "
                      "secret was found)", actual=show(reply),
                      help="Decode whole lines, not what one recv() returned: a character's bytes may arrive "
                           "in two pieces. " + HELP_LINES)
    server.require_alive("after the lines in pieces")


@check("answers an unfinished last line when the client closes, then closes too",
       depends="answers_guesses", spec=3, hidden=True)
def last_line_at_close(run):
    server = start(run, 37)
    a = server.client("A")
    guess(a, "5", None)
    a.send(b"37")
    shut_write(a)
    reply = as_read(a, a.receive_line(timeout=WAIT))
    if not reply.endswith(b"\n"):
        raise Failure("client A sent '37' without a newline and closed its sending side, and got no reply "
                      "line", expected=show(RIGHT) + " for the last guess, 37", actual=show(reply) if reply
                      else ("the connection closed" if a.peer_closed else "nothing"),
                      help="When the client closes, what is left after the last newline is its last guess: "
                           "answer it before closing (for line in self.rfile does; with recv(), answer "
                           "what is left in the buffer when recv() returns b'').")
    if reply != RIGHT:
        raise Failure("client A's last guess, '37' (the secret) without a newline, got the wrong reply",
                      expected=show(RIGHT), actual=show(reply),
                      help="Compare the guess with the secret as numbers.")
    rest = a.receive_until_closed(timeout=WAIT)
    if not a.peer_closed:
        raise Failure(f"client A closed its side and the server did not close the connection within {WAIT:g} s",
                      expected="the server closes the connection", actual="still open" + (
                          f" (it sent {show(rest)})" if rest else ""),
                      help="recv() returning b'' (or the end of self.rfile) means the client is done: "
                           "close the connection (leaving the handler does, in socketserver).")


@check("serves clients at the same time", depends="answers_guesses", spec=7, hidden=True)
def concurrent_guessers(run):
    server = start(run, 50, small_buffers=True)
    a = server.client("A")
    guess(a, "1", WRONG)
    help_threads = ("Serve every client in a thread (or process) of its own, and let them run at once: a "
                    "plain TCPServer, a lock held for a whole connection, or a parent that waits for each "
                    "child serves client A until A hangs up, and B waits. ThreadingTCPServer does it.")
    try:
        b = server.client("B")
        guess(b, "2", WRONG, why=" while client A was still connected")
    except Failure as failure:
        failure.help = help_threads
        raise
    others = [server.client(name) for name in "CDEFGH"]
    for n, client in enumerate(others):
        client.send(f"{10 + n}\n")
    for n, client in enumerate(others):
        reply = as_read(client, client.receive_line(timeout=WAIT))
        if reply != WRONG:
            raise Failure(f"client {client.name} guessed {10 + n} at the same time as five others, with A "
                          "and B connected, and did not get its reply", expected=show(WRONG),
                          actual=show(reply) if reply else "nothing",
                          help="Serve every client at once, however many: a thread (or process) each, "
                               "not a fixed pool.")
    a.send(b"1")  # half a line: A is in the middle of its next guess
    try:
        k = server.client("K")
        guess(k, "3", WRONG, why=" while client A had sent half a line ('1', no newline yet)")
    except Failure as failure:
        failure.help = ("Never wait for one client's line while others wait: a recv() that waits for the "
                        "rest of A's line stops a selectors or asyncio loop. Read what is there, keep "
                        "it, and go back to the loop (or use a thread per client).")
        raise
    guess(a, "2", WRONG, why=" (the end of the line '12')")
    r = server.client("R")
    guess(r, "4", WRONG)
    r.abort()  # R vanishes: its connection is reset, as when a client program crashes
    try:
        s = server.client("S")
        guess(s, "6", WRONG, why=" after client R's connection was reset")
    except Failure as failure:
        failure.help = ("A client may vanish: then recv() or send() raises ConnectionResetError "
                        "(BrokenPipeError). Catch ConnectionError for that client, close its socket, and "
                        "go on serving the others.")
        raise
    server.require_alive("after client R's connection was reset")
    replies_back_up(server)


BACKLOG = 50_000  # guesses ('1\n', 100 000 bytes) replies_back_up sends without reading a reply: their
# replies (300 000 bytes) are more than the server's send buffer (sites.SMALL_SEND_BUFFER) and P's receive
# buffer (socket(7): 128 KiB by default, not grown while P does not read) can hold
STILL = 0.3  # seconds the bytes the server has not read stay the same: it has stopped reading
HELP_BACKED_UP = ("A client may send many guesses before it reads its replies: then its replies wait, and the "
                  "server's send() for it cannot go on until the client reads. Only that client may wait: "
                  "with threads (ThreadingTCPServer) its own thread waits. In a selectors or asyncio loop, "
                  "never block on one client's send and never let a full buffer crash the loop: keep the "
                  "unsent replies in that client's buffer, send them when its socket is writable "
                  "(EVENT_WRITE; asyncio: await writer.drain()), and read its next lines meanwhile or later.")


def waiting(client: Client) -> int | None:
    """Bytes ``client`` sent that the server has not read: in the server's receive queue or still in the
    client's send queue (ioctl SIOCOUTQ, tcp(7)); None when the server's side cannot be seen."""
    unread = client.unread_by_server()
    if unread is None or client.sock is None:
        return None
    outq = struct.unpack("i", fcntl.ioctl(client.sock.fileno(), termios.TIOCOUTQ, b"\0" * 4))[0]
    return unread + outq


def replies_back_up(server: Server) -> None:
    """Spec points 3, 4 and 7: client P sends guesses without reading its replies, until they back up.

    The server's send buffer is small (``start(small_buffers=True)``), so the
    :data:`BACKLOG` guesses' replies fill it and P's receive buffer: a server
    that reads on must keep the rest, one that stops reading P's lines (a thread
    blocked in send() for P) must go on serving the others.  P sends as much of
    its guesses as the server takes (until it takes nothing for :data:`STILL` s),
    and waits until the server has read them all or stopped reading (the bytes
    it has not read stay the same for :data:`STILL` s; where they cannot be seen,
    P goes on at once).  Then client Q must be served, at the latest once P has
    read its replies (a thread that sends P's reply while it holds the game's
    lock keeps Q waiting until then: the spec does not say a client must read,
    so this is not judged), the server must not stop, and P must get a reply
    for every guess (lines that are not 'wrong' are line_framing's to judge).
    """
    p = server.client("P")
    data = memoryview(b"1\n" * BACKLOG)
    sent = 0  # bytes of data the server took
    deadline = time.monotonic() + WAIT
    with selectors.DefaultSelector() as sel:
        sel.register(p.sock, selectors.EVENT_WRITE)
        while sent < len(data) and sel.select(max(min(STILL, deadline - time.monotonic()), 0)):
            try:
                sent += p.sock.send(data[sent:])
            except BlockingIOError:
                continue
            except OSError:
                break
    last, since = waiting(p), time.monotonic()
    while last and time.monotonic() - since < STILL and time.monotonic() < deadline:
        time.sleep(0.05)
        now = waiting(p)
        if now != last:
            last, since = now, time.monotonic()
    if sent % 2:  # P stopped inside a line: send its newline, so that every guess is whole
        tail = b"\n"
    else:
        tail = b""
    guesses = (sent + len(tail)) // 2
    server.transcript.add(p.name, f"sends {guesses} guesses '1\\n' without reading a reply "
                                  f"({sent} bytes{'; the server stopped reading them' if last else ''})")
    try:
        q = server.client("Q")
        q.send(b"8\n")
    except Failure as failure:
        server.require_alive(f"after client P sent {guesses} guesses and read none of its replies")
        failure.help = HELP_BACKED_UP
        raise
    early = q.receive_line(timeout=WAIT)  # may wait for P: a thread that sends P's reply under the game's lock
    got = bytearray()
    deadline = time.monotonic() + WAIT  # moved on while replies come: a slow server is never cut short
    with selectors.DefaultSelector() as sel:
        sel.register(p.sock, selectors.EVENT_READ | (selectors.EVENT_WRITE if tail else 0))
        while len(got) < 6 * guesses and time.monotonic() < deadline:
            for _key, events in sel.select(0.2):
                if events & selectors.EVENT_WRITE and tail:
                    try:
                        tail = tail[p.sock.send(tail):]
                    except BlockingIOError:
                        pass
                    except OSError:
                        tail = b""
                    if not tail:
                        sel.modify(p.sock, selectors.EVENT_READ)
                if events & selectors.EVENT_READ:
                    try:
                        data = p.sock.recv(1 << 20)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if not data:
                        deadline = 0.0
                        break
                    got += data
                    deadline = time.monotonic() + WAIT
    replies = bytes(got).split(b"\n")
    done = replies[:-1]
    good = sum(1 for r in done if as_read(p, r + b"\n") == WRONG)
    p.server.transcript.add(p.name, f"receives {len(got)} bytes: {len(done)} lines, {good} of them 'wrong'",
                            data=bytes(got[:64]))
    server.require_alive(f"after client P sent {guesses} guesses and read none of its replies")
    reply = as_read(q, early or q.receive_line(timeout=WAIT))
    if reply != WRONG:
        raise Failure(f"client Q guessed 8 while client P had sent {guesses} guesses without reading its "
                      "replies, and did not get its reply, not even once P had read them all",
                      expected=show(WRONG), actual=show(reply) if reply else "nothing", help=HELP_BACKED_UP)
    # Lines that are not 'wrong' are line_framing's to judge (spec 3); here: no reply is lost.
    if good == len(done) and (len(done) != guesses or replies[-1]):
        actual = f"{len(done)} lines" + (f", then {show(replies[-1][:40])} with no newline" if replies[-1] else "")
        raise Failure(f"client P sent {guesses} guesses '1' (the secret is 50) without reading its replies "
                      f"until they backed up, then read them all, and did not get one 'wrong' for each",
                      expected=f"{guesses} lines, each b'wrong\\n'", actual=actual, help=HELP_BACKED_UP)
    p.close()
    server.require_alive("after client P's replies backed up")


@check("only one client hears 'right', even when several send the secret at once",
       depends="concurrent_guessers", spec=6, hidden=True)
def one_winner(run):
    servers, clients = 1, 6
    secret_value = 55

    def race(k: int) -> None:
        server = start(run, secret_value, hold_right=HOLD)
        suffix = f"{k + 1}" if servers > 1 else ""
        group = [server.client(chr(ord("A") + i) + suffix) for i in range(clients)]
        idle = server.client("Y" + suffix)  # connected before the secret is found; does not race
        for c in group + [idle]:  # every handler is running and waits for a line
            guess(c, "1", WRONG, why=f" (the secret is {secret_value})")
        for c in group:  # back to back: the guesses arrive at the same moment
            try:
                c.sock.send(b"55\n")
            except OSError:
                pass  # the reply read below says what happened
        for c in group:
            c.server.transcript.add(c.name, "sends '55\\n' (all clients at once)")
        replies = {c.name: read_reply(c, "the secret '55' (all clients at once)", "one line") for c in group}
        shown = ", ".join(f"{n}: {show(r)}" for n, r in replies.items())
        winners = [name for name, reply in replies.items() if reply == RIGHT]
        guess(idle, "3", FOUND, why=" after the others had sent the secret (Y had connected before, and "
                                   "stayed connected)",
              hint="A client that connected before the secret was found must hear b'secret found\\n' "
                   "afterwards too: read 'found' when you answer a guess, not once when the client "
                   "connects. " + HELP_STATE)
        late = server.client("Z" + suffix)
        guess(late, "55", FOUND, why=" after the others had sent the secret", hint=HELP_STATE)
        if len(winners) > 1:
            raise Failure(f"{len(group)} clients sent the secret 55 at the same moment, and "
                          f"{len(winners)} of them ({', '.join(winners)}) heard 'right'",
                          expected="exactly one b'right\\n', every other client b'secret found\\n'",
                          actual=shown,
                          help="Two handlers both saw found == False before either set it (the grader "
                               f"made sending 'right' take {HOLD:g} s, to show it every time). Test and set "
                               "'found' in one step under a lock, and decide the reply inside it: "
                               "with lock: if found: ... elif guess == secret: found = True; reply = right. "
                               "Set 'found' before sending the reply, never after.")
        if not winners:
            raise Failure("clients sent the secret 55 at the same moment and none heard 'right'",
                          expected="exactly one b'right\\n'", actual=shown,
                          help="The first of them to be judged hears b'right\\n', the others b'secret found\\n'.")
        bad = {n: r for n, r in replies.items() if r not in (RIGHT, FOUND)}
        if bad:
            name, reply = next(iter(bad.items()))
            raise Failure(f"client {name} sent the secret 55 at the same moment as client {winners[0]}, "
                          f"which heard 'right', and got {show(reply)}",
                          expected=show(FOUND), actual=show(reply), help=HELP_STATE)

    at_once(run, servers, race)


@check("picks the secret from 1 to 100 once, at start, when SECRET_NUMBER is not set",
       depends="answers_guesses", spec=2, hidden=True)
def random_secret(run):
    secrets: dict[int, int] = {}

    def one(k: int) -> None:
        seed, expect = RANDOM_SEEDS[k]
        server = start(run, None, seed=seed)
        first, second = server.client(f"S{k + 1}a"), None
        wrong = set()
        for number in [n for n in range(1, 101) if n != expect]:
            reply = guess(first, str(number), None)
            if reply == RIGHT:
                secrets[k] = number
                return
            if reply != WRONG:
                raise Failure(f"client {first.name} guessed {number}, with no SECRET_NUMBER set, and got "
                              "neither 'wrong' nor 'right'", expected=show(WRONG) + " or " + show(RIGHT),
                              actual=show(reply), help="Nobody has found the secret yet: every guess but "
                                                       "the secret is wrong.")
            wrong.add(number)
        first.close()
        second = server.client(f"S{k + 1}b")
        for number in [expect] + sorted(wrong):
            reply = guess(second, str(number), None)
            if reply == RIGHT:
                if number in wrong:
                    raise Failure(f"with no SECRET_NUMBER set, client {first.name} heard 'wrong' for "
                                  f"{number}, then client {second.name} heard 'right' for {number}: nobody "
                                  "had found it in between, so the secret changed between the connections",
                                  expected=f"b'wrong\\n' for {number} from every client until it is found",
                                  actual=f"b'wrong\\n' to {first.name}, b'right\\n' to {second.name}",
                                  help="Pick the secret once, when the server starts (a global, or an "
                                       "attribute of the server), not in handle() or for each client.")
                secrets[k] = number
                return
        raise Failure(f"with no SECRET_NUMBER set, every number from 1 to 100 got 'wrong' (client "
                      f"{first.name} tried 99 of them, client {second.name} all 100)",
                      expected="one of 1, 2, ..., 100 is right", actual="all were wrong",
                      help="The secret is random.randint(1, 100): 1 and 100 included, never 0 "
                           "(random.randrange(100) and random.randint(0, 99) can give 0). Pick it once, "
                           "when the server starts.")

    draws: dict[str, list[tuple[str, int]]] = {mode: [] for mode in EXTREMES}

    def any_start(k: int) -> None:
        if k < len(RANDOM_SEEDS):
            one(k)
        else:  # one start with the lowest draws, one with the highest, beside the seeded ones
            mode = EXTREMES[(k - len(RANDOM_SEEDS)) % 2]
            name = f"{mode[0].upper()}1"
            draws[mode].append((name, extreme_secret(run, mode, name)))

    at_once(run, len(RANDOM_SEEDS) + len(EXTREMES), any_start)
    if len(set(secrets.values())) == 1:
        value = next(iter(secrets.values()))
        raise Failure(f"with no SECRET_NUMBER set, the secret was {value} in each of {len(secrets)} "
                      "starts of your server", expected="a random secret each time",
                      actual=f"{value} every time",
                      help="Without SECRET_NUMBER, the secret is random.randint(1, 100): not a fixed "
                           "number (os.environ.get('SECRET_NUMBER', 42) fixes it).")
    (low_name, low), (high_name, high) = draws["lowest"][0], draws["highest"][0]
    if not low < high or (low, high) == (1, 100):
        return  # randint(1, 100)'s ends, or a secret that does not follow the draws: nothing to judge

    def confirm(k: int) -> None:
        mode = EXTREMES[k % 2]
        name = f"{mode[0].upper()}{k // 2 + 2}"
        draws[mode].append((name, extreme_secret(run, mode, name)))

    at_once(run, len(EXTREMES) * CONFIRM, confirm)
    if any({value for _, value in draws[mode]} != {value} for mode, value in zip(EXTREMES, (low, high))):
        return  # a secret drawn some other way (os.urandom, a random.Random() of its own): not judged
    starts = CONFIRM + 1
    never = ", ".join(part for part in (f"{'1' if low == 2 else f'1 to {low - 1}'}" if low > 1 else "",
                                        f"{'100' if high == 99 else f'{high + 1} to 100'}" if high < 100 else "")
                      if part)
    raise Failure(f"with no SECRET_NUMBER set, the grader made every draw of random (and secrets) in your "
                  f"server its lowest, then its highest, in {starts} starts each: with the lowest draws, "
                  f"client {low_name} guessed 1, 2, ... and heard 'right' first for {low}; with the highest, "
                  f"client {high_name} guessed 100, 99, ... and heard 'right' first for {high}",
                  expected="right for 1 with the lowest draws and for 100 with the highest: "
                           "random.randint(1, 100) gives 1, 2, ..., 100",
                  actual=f"{low} and {high}: your secret is never {never}",
                  help="random.randint(a, b) includes both ends: the secret is random.randint(1, 100). "
                       "randint(1, 99) never gives 100, randint(2, 100) never gives 1, randint(1, 101) can give "
                       "101, and random.randrange(1, 100) stops at 99 (randrange leaves out its end).")


def extreme_secret(run, mode: str, name: str) -> int:
    """The secret of a server started with every random draw at its ``mode`` ("lowest" or "highest").

    Client ``name`` guesses 1, 2, ..., 100 (lowest) or 100, 99, ..., 1
    (highest): a server that picks random.randint(1, 100) is found at the
    first guess.  Raises Failure when a reply is neither 'wrong' nor 'right',
    or when no number from 1 to 100 is right (a secret outside 1..100: never
    so for a correct server, however it draws).
    """
    server = start(run, None, extreme=mode)
    server.transcript.add("grader", f"started the server with every random draw at its {mode}: "
                                    f"random.randint(1, 100) gives {1 if mode == 'lowest' else 100}")
    client = server.client(name)
    order = range(1, 101) if mode == "lowest" else range(100, 0, -1)
    for number in order:
        reply = guess(client, str(number), None)
        if reply == RIGHT:
            return number
        if reply != WRONG:
            raise Failure(f"client {name} guessed {number}, with no SECRET_NUMBER set, and got neither "
                          "'wrong' nor 'right'", expected=show(WRONG) + " or " + show(RIGHT),
                          actual=show(reply), help="Nobody has found the secret yet: every guess but the "
                                                   "secret is wrong.")
    raise Failure(f"with no SECRET_NUMBER set and every random draw in your server at its {mode} (the grader "
                  f"made random.randint(1, 100) give {1 if mode == 'lowest' else 100}), client {name} guessed "
                  "every number from 1 to 100 and each got 'wrong'", expected="one of 1, 2, ..., 100 is right",
                  actual="all were wrong: the secret is outside 1..100",
                  help="The secret is random.randint(1, 100): both ends included, nothing outside. "
                       "random.randint(1, 101) can give 101, random.randrange(100) and random.randint(0, 99) "
                       "can give 0.")




# -- exploration: generated scenarios checked against the spec's model (issue 21) -------------------

@check("stays right in generated scenarios: any guesses, lines in pieces, SECRET_NUMBER spelled as int() "
       "takes it, clients that stay, hang up or reset", depends="starts", hidden=True,
       spec=(2, 3, 4, 5, 6, 7), timeout=180.0)
def explore(run):
    from graders.checking.explore import check_by_exploring
    from graders.assignments.scenarios.secret_number import EXPLORER  # with the model: not in a course's student view
    check_by_exploring(run, ASSIGNMENT, EXPLORER)
