"""The secret number server's spec as a pure state machine (solutions/secret_number/secret_number.ipynb).

Rules, by spec point (each :class:`~.base.Violation` names its point):

* 2 -- the secret is ``int(SECRET_NUMBER)`` (Python's ``int()``: spaces around, a sign and
  zeros in front are fine) and stays the same for every client.
* 3 -- guesses are lines, however their bytes arrive (several in one piece, one in several
  pieces); several per connection; when the client shuts down its sending side, an
  unfinished last line is a guess too, and once every guess is answered the server closes
  the connection.  While the client is there and has not shut down its side, the connection
  stays open.  A line is a whole number when, without its ``b"\\n"``, one ``b"\\r"`` before
  it and spaces or tabs around, it is ASCII digits with maybe a sign.
* 4 -- every guess gets exactly one line, in order, and nothing else is sent (no greeting, no
  reply before a line is complete): ``wrong`` before the secret is found, ``right`` for the
  first right guess ever, ``secret found`` for every later guess.
* 5 -- a line that is not a whole number gets one line starting with ``error`` (or ``secret
  found`` once found), and the connection goes on.  Decided where the spec leaves it open
  (issue 21): a line Python's ``int()`` takes though it is not ASCII digits (non-ASCII
  digits, ``4_2``, other white space) and a number of more than 1000 digits may get their
  normal reply or an error line.
* 6 -- "found" is shared: a guess answered after another client's ``right`` hears ``secret found``.
* 7 -- clients are served at the same time (a client halfway through a line keeps nobody
  waiting); a client that resets stops nothing (the explorer checks the server stays up).

The explorer sends one step at a time and waits until the server has dealt with it, so the
guesses reach the server in the order they were sent; the model judges the replies in that
order, and "found" becomes true at the ``right`` it sees.
"""
from __future__ import annotations

import re

from graders.checking.model import Connection, Model, Violation

WRONG, RIGHT, FOUND = b"wrong\n", b"right\n", b"secret found\n"
NUMBER = re.compile(r"[+-]?[0-9]+\Z")
LONG_DIGITS = 1000  # a number with more digits may get an error line instead (the spec's decision)

FRAMING_HELP = ("A guess is a line: collect bytes until b'\\n' (self.rfile.readline(), or a buffer you split "
                "at b'\\n'), however they arrive: several lines in one recv(), or one line over several; decode "
                "the whole line, not each piece.")
NUMBER_HELP = ("Accept what int() accepts for a decimal whole number: a sign, zeros in front, spaces or tabs "
               "around, and a b'\\r' before the b'\\n': int(line.decode().strip()) does; do not test "
               "str.isdigit() first.")
ERROR_HELP = ("A line that is not a whole number gets one line starting with 'error' (catch the ValueError "
              "of int(), and the UnicodeDecodeError of bytes that are not UTF-8), and the connection goes on: "
              "read the next line.")
REPLY_HELP = "Reply with exactly b'wrong\\n', b'right\\n' or b'secret found\\n': lower case, one newline, nothing else."
FOUND_HELP = ("'found' belongs to the whole server: one global (or class attribute) shared by every "
              "connection and thread, set under a lock when a client is right, and checked for every guess.")
SECRET_HELP = ("The secret is int(os.environ['SECRET_NUMBER']) when that variable is set (int() takes the "
               "spaces, sign or zeros around it), picked once at start-up, the same for every client; compare "
               "numbers, int(guess) == secret, not texts.")
CLOSE_HELP = ("When the client shuts down its sending side, answer its last guess (also an unfinished last "
              "line), then close the connection; while it is connected, keep reading its guesses.")


def show(data: bytes) -> str:
    return repr(data[:60]) + (f" ... ({len(data)} bytes)" if len(data) > 60 else f" ({len(data)} bytes)")


def classify(line: bytes) -> tuple[str, int | None]:
    """("number", value), ("error", None) or ("either", value or None) for a guess line (no b"\\n")."""
    body = line[:-1] if line.endswith(b"\r") else line
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "error", None
    stripped = text.strip(" \t")
    if NUMBER.match(stripped):
        digits = len(stripped.lstrip("+-"))
        return ("either" if digits > LONG_DIGITS else "number"), int(stripped) if digits <= 4000 else None
    try:
        value = int(text)  # what int() takes beyond the spec (non-ASCII digits, 4_2, other spaces)
    except ValueError:
        return "error", None
    return "either", value


class SecretNumberModel(Model):
    RULES = {
        2: "the secret is int(SECRET_NUMBER), the same for every client",
        3: "guesses are lines however they arrive, several per connection; an unfinished last line counts "
           "at the client's FIN, then the server closes",
        4: "exactly one reply line per guess, in order: wrong / right (first ever) / secret found",
        5: "a line that is not a whole number gets one 'error...' line (or 'secret found'); the connection goes on",
        6: "'found' is shared by all clients",
        7: "clients are served at the same time; a reset stops nothing",
    }

    def __init__(self, secret: int, env_value: str | None = None) -> None:
        super().__init__()
        self.secret = secret
        self.env_value = env_value if env_value is not None else str(secret)
        self.found_by: str | None = None  # the client that heard "right"
        self.judged: dict[str, int] = {}  # reply lines judged per connection

    @staticmethod
    def guesses(conn: Connection) -> list[bytes]:
        """The guess lines of ``conn`` so far (without b"\\n"; an unfinished last one after a FIN)."""
        lines = conn.sent.split(b"\n")
        rest = lines.pop()
        if conn.fin and rest:
            lines.append(rest)
        return lines

    def replies(self, conn: Connection) -> list[bytes]:
        """The complete reply lines ``conn`` got."""
        return [line + b"\n" for line in conn.got.split(b"\n")[:-1]]

    def due(self, name: str) -> bool:
        conn = self.connections[name]
        if conn.reset or conn.closed:
            return False
        return len(self.replies(conn)) < len(self.guesses(conn)) or conn.fin

    def stop_point(self) -> int:
        return 7

    def judge(self, name: str, *, idle: bool) -> Violation | None:
        conn = self.connections[name]
        if conn.reset:
            return None
        who = f"client {conn.name}"
        guesses, replies = self.guesses(conn), self.replies(conn)
        start = self.judged.get(name, 0)
        for index in range(start, len(replies)):
            reply = replies[index]
            if index >= len(guesses):
                if not guesses and not conn.sent:
                    return Violation(4, f"your server sent {who} a line before it sent anything",
                                     help="Send nothing until a guess arrives: no greeting or prompt.",
                                     expected="nothing", actual=show(conn.got))
                pending = conn.sent.split(b"\n")[-1]
                return Violation(3 if pending else 4,
                                 f"{who} got {index + 1} replies for {len(guesses)} guess"
                                 f"{'es' * (len(guesses) != 1)}" + (f" (its line {show(pending)} was not complete)"
                                                                    if pending else ""),
                                 help=FRAMING_HELP if pending else "One reply line per guess, nothing else.",
                                 expected=f"{len(guesses)} reply line{'s' * (len(guesses) != 1)}",
                                 actual=show(conn.got))
            violation = self.judge_reply(conn, guesses[index], reply, index)
            if violation is not None:
                return violation
            self.judged[name] = index + 1
        tail = conn.got[len(b"".join(replies)):]
        if tail and (conn.closed or idle):
            return Violation(4, f"{who} got a reply without its newline" if len(replies) < len(guesses) else
                             f"{who} got more than one line per guess", help=REPLY_HELP,
                             expected="whole lines ending in b'\\n'", actual=show(conn.got))
        answered = len(replies) >= len(guesses)
        if conn.closed and not answered and classify(guesses[len(replies)])[0] == "error":
            return Violation(5, f"your server closed the connection of {who} instead of answering its line "
                                f"{guesses[len(replies)][:40]!r}, which is not a whole number",
                             help=ERROR_HELP, expected="a line starting with 'error', and the connection open",
                             actual=show(conn.got) + ", then the end of the stream")
        if conn.closed and not conn.fin:
            if not answered:
                return Violation(3, f"your server closed the connection of {who} before answering all its "
                                    f"guesses ({len(replies)} of {len(guesses)})", help=FRAMING_HELP,
                                 expected=f"{len(guesses)} reply lines", actual=show(conn.got))
            last = classify(guesses[-1])[0] if guesses else None
            return Violation(5 if last == "error" else 3,
                             f"your server closed the connection of {who} while it was still there"
                             + (" (after an error line: the connection goes on)" if last == "error" else
                                " (a client may send several guesses on one connection)"),
                             help=ERROR_HELP if last == "error" else CLOSE_HELP,
                             expected="the connection open for the next guess", actual="the end of the stream")
        if conn.closed and conn.fin and not answered:
            unfinished = not conn.sent.endswith(b"\n")
            return Violation(3, f"{who} shut down its sending side; your server closed without answering "
                                + ("its unfinished last line" if unfinished and len(replies) == len(guesses) - 1
                                   else f"all its guesses ({len(replies)} of {len(guesses)})"),
                             help=CLOSE_HELP, expected=f"{len(guesses)} reply lines, then the end",
                             actual=show(conn.got))
        if idle and not answered and all(classify(g)[0] == "error" for g in guesses[len(replies):]):
            return Violation(5, f"{who}'s line {guesses[len(replies)][:40]!r} is not a whole number and got no "
                                f"reply", help=ERROR_HELP, expected="a line starting with 'error'",
                             actual=show(conn.got) if conn.got else "nothing")
        if idle and not answered:
            busy = [c.name for c in self.connections.values() if c.name != name and not c.gone and not c.closed
                    and c.sent and not c.sent.endswith(b"\n")]
            if busy:
                return Violation(7, f"{who}'s guess got no reply while client {busy[0]} was halfway through a "
                                    f"line", help="Serve clients at the same time (ThreadingTCPServer, a thread "
                                                  "per client): one client's unfinished line keeps nobody waiting.",
                                 expected=f"{len(guesses)} reply lines", actual=show(conn.got))
            unfinished = conn.fin and not conn.sent.endswith(b"\n") and len(replies) == len(guesses) - 1
            return Violation(3, f"{who} sent {len(guesses)} guess{'es' * (len(guesses) != 1)} and got "
                                f"{len(replies)} repl{'ies' if len(replies) != 1 else 'y'}"
                                + (" (its last line, unfinished, counts once it shuts down its sending side)"
                                   if unfinished else ""),
                             help=CLOSE_HELP if unfinished else FRAMING_HELP,
                             expected=f"{len(guesses)} reply lines", actual=show(conn.got))
        if idle and conn.fin and answered and not conn.closed:
            return Violation(3, f"{who} shut down its sending side and got every reply, but your server kept "
                                f"the connection open", help=CLOSE_HELP,
                             expected="the end of the stream", actual="the connection still open")
        return None

    def judge_reply(self, conn: Connection, guess: bytes, reply: bytes, index: int) -> Violation | None:
        who = f"client {conn.name}"
        kind, value = classify(guess)
        found = self.found_by is not None
        what = f"{who}'s guess {guess[:40]!r}" + ("..." if len(guess) > 40 else "")
        allowed: list[bytes] = []
        if kind in ("number", "either") and value is not None:
            allowed.append(FOUND if found else RIGHT if value == self.secret else WRONG)
        error_ok = kind in ("error", "either")
        if found and error_ok:
            allowed.append(FOUND)
        if reply in allowed or (error_ok and reply.startswith(b"error")):
            if reply == RIGHT:
                self.found_by = conn.name
            return None
        expected = " or ".join([show(a) for a in allowed] + (["a line starting with 'error'"] if error_ok else []))
        if reply.strip().lower() in (b"wrong", b"right", b"secret found") and reply not in (WRONG, RIGHT, FOUND):
            return Violation(4, f"{what} got {show(reply)}", help=REPLY_HELP, expected=expected, actual=show(reply))
        if kind == "error":
            return Violation(5, f"{what} is not a whole number but got {show(reply)}", help=ERROR_HELP,
                             expected=expected, actual=show(reply))
        if reply.startswith(b"error") and value is not None and not 1 <= value <= 100 and guess.strip() \
                == str(value).encode():
            return Violation(4, f"{what} is a whole number outside 1..100, a wrong guess, but got an error line",
                             help="0, -5 or 150 are whole numbers, simply wrong: reply b'wrong\\n' (no range "
                                  "check).", expected=expected, actual=show(reply))
        if reply.startswith(b"error"):
            return Violation(3, f"{what} is a whole number but got an error line", help=NUMBER_HELP,
                             expected=expected, actual=show(reply))
        if found and reply in (RIGHT, WRONG):
            mine = self.found_by == conn.name
            return Violation(4 if mine else 6,
                             f"{what} came after client {self.found_by} heard right, but got {show(reply)}",
                             help=REPLY_HELP if mine else FOUND_HELP, expected=show(FOUND), actual=show(reply))
        if reply == FOUND and not found:
            return Violation(4, f"{what} got 'secret found', but nobody had found the secret",
                             help="Say 'secret found' only once a client has heard 'right'.",
                             expected=expected, actual=show(reply))
        if value == self.secret and reply == WRONG:
            plain = guess.strip() == str(self.secret).encode()
            spelled = self.env_value != str(self.secret)
            return Violation(2 if plain or spelled else 3,
                             f"{what} is the secret (SECRET_NUMBER={self.env_value!r}) but got 'wrong'",
                             help=SECRET_HELP if plain or spelled else NUMBER_HELP,
                             expected=show(RIGHT), actual=show(reply))
        if reply == RIGHT and value != self.secret:
            return Violation(2, f"{what} is not the secret (SECRET_NUMBER={self.env_value!r}) but got 'right'",
                             help=SECRET_HELP, expected=expected, actual=show(reply))
        return Violation(4, f"{what} got {show(reply)}", help=REPLY_HELP, expected=expected, actual=show(reply))
