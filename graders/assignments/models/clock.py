"""The clock server's spec as a pure state machine (solutions/clock/clock.ipynb, "## The spec").

Rules, by spec point (each :class:`~.base.Violation` names its point):

* 2 -- a connection whose 25-byte question is not complete gets nothing and stays
  open while the client is there (however long it pauses: "a second or two"
  between pieces is allowed); only this client's bytes count.  A client that
  hung up (FIN) or reset before its question was complete needs no answer:
  anything goes on that connection.
* 3 -- once the whole question is in (also when the client shut down its sending
  side right after it: the spec's decision), the connection gets exactly the 24
  bytes of ``time.ctime()`` in the server's time zone, of a second no earlier than
  the one ctime() showed when the last byte went out and no later than the moment
  the answer came: nothing before or after them.
* 4 -- after the answer the server closes the connection; it goes on serving
  (the explorer checks that it stays alive and accepts).  Serving one client at
  a time is allowed: an answer is not due while a client that connected earlier
  is still in the middle of its question.

Times are seconds since the epoch: for the clients' events the coarse clock
that C's ``time(NULL)`` and so ``time.ctime()`` read; for the answers ``time.time()``.
"""
from __future__ import annotations

import calendar
import math
import re
import time

from graders.checking.model import Connection, Model, Violation

QUESTION = "What is the time?".ljust(25).encode("ascii")
# The time zone the grader runs every clock server in (POSIX TZ, no tz database needed): local =
# UTC + 5:30, so a server that answers in UTC is told apart from one that answers local time.
# The same as graders/assignments/clock.py's (tests/test_models.py): this package imports no check
# module, so that a check module may import its scenarios (no circle).
TZ = "IST-5:30"
TZ_OFFSET = 5 * 3600 + 30 * 60  # seconds east of UTC
SERVER_ENV = {"TZ": TZ}
ANSWER_BYTES = 24

PIECES_HELP = ("TCP may deliver the question in pieces, and the client may pause between them: wait for all "
               "25 bytes (self.rfile.read(25), or recv() in a loop until you have 25), with no timeout that "
               "gives up on a client that pauses a second or two.")
SHARED_HELP = ("Count only this client's bytes, and all 25 of them: keep the question in a local variable of "
               "the handler, not in a class attribute or global that every client shares.")
EARLY_HELP = "Read the whole question first, then write the answer."
FORMAT_HELP = ("Send exactly time.ctime().encode('ascii'): 24 bytes, no words around them, no newline or "
               "padding, no other format (ctime() pads the day with a space: 'Nov  3').")
STALE_HELP = ("Call ctime() in the handler after the whole question has arrived: not once at start-up, not "
              "when the client connects, not cached from an earlier client.")
CLOSE_HELP = ("Close the connection right after writing the answer: conn.close() (with os.fork(), the parent "
              "closes its copy too); with socketserver, return from handle() and do not read again.")
NO_ANSWER_HELP = ("After the 25th byte, write the answer at once: read exactly 25 bytes (not readline(), "
                  "not read() to the end), then write ctime(); flush if you write to a buffered file "
                  "(self.wfile of a StreamRequestHandler flushes itself).")


def ctime_text(seconds: float, tz_offset: int) -> str:
    """``time.ctime(seconds)`` in the time zone ``tz_offset`` seconds east of UTC."""
    return time.asctime(time.gmtime(math.floor(seconds) + tz_offset))


def parse_ctime(data: bytes, tz_offset: int) -> int | None:
    """Seconds since the epoch of ``data`` if it is exactly a ``time.ctime()`` text there, else None."""
    try:
        text = data.decode("ascii")
        stamp = calendar.timegm(time.strptime(text, "%a %b %d %H:%M:%S %Y")) - tz_offset
    except (UnicodeDecodeError, ValueError):
        return None
    return stamp if ctime_text(stamp, tz_offset) == text else None


CTIME_SHAPE = re.compile(rb"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}")


def show(data: bytes) -> str:
    return repr(data[:80]) + (f" ... ({len(data)} bytes)" if len(data) > 80 else f" ({len(data)} bytes)")


class ClockModel(Model):
    RULES = {
        2: "nothing comes back, and the connection stays open, until this client's 25 bytes are all in",
        3: "then exactly the 24 bytes of time.ctime() (local time), of a second between the question's "
           "last byte and the answer",
        4: "then the connection closes; the server goes on (one client at a time is allowed)",
    }

    def __init__(self, tz_offset: int = 0) -> None:
        super().__init__()
        self.tz_offset = tz_offset

    @staticmethod
    def complete(conn: Connection) -> bool:
        return len(conn.sent) >= len(QUESTION)

    def asked_at(self, conn: Connection) -> float:
        """When the question's last byte went out (seconds)."""
        return self.sent_by(conn, len(QUESTION))

    def blocked(self, conn: Connection) -> bool:
        """A client that connected earlier is still in the middle of its question (an iterative server
        may be serving it): this one's answer is not due yet."""
        return any(other.order < conn.order and not self.complete(other) and not other.gone
                   and not other.closed for other in self.connections.values())

    def left_behind(self, conn: Connection) -> int:
        """Bytes of unfinished questions that clients connected before ``conn`` left behind."""
        return sum(len(other.sent) for other in self.connections.values()
                   if other.order < conn.order and other.gone and not self.complete(other))

    def waiting(self, name: str) -> bool:
        return self.blocked(self.connections[name])

    def due(self, name: str) -> bool:
        conn = self.connections[name]
        return self.complete(conn) and not conn.reset and not conn.closed and not self.blocked(conn)

    def judge(self, name: str, *, idle: bool) -> Violation | None:
        conn = self.connections[name]
        who = f"client {conn.name}"
        sent = min(len(conn.sent), len(QUESTION))
        if not self.complete(conn):
            if conn.gone:
                return None  # it hung up in the middle of its question: it needs no answer
            if conn.got:
                when = f"after only {sent} of the 25 bytes of {who}'s question" if sent else \
                    f"before {who} sent a byte"
                left = self.left_behind(conn)
                if left and sent + left >= len(QUESTION):
                    when += (f", when earlier clients had hung up leaving {left} bytes of their questions "
                             f"(with them, 25)")
                return Violation(2, f"your server answered {when}",
                                 help=SHARED_HELP if left and sent + left >= len(QUESTION)
                                 else EARLY_HELP if not sent else PIECES_HELP,
                                 expected=f"nothing until all 25 bytes are in (the client sent {sent})",
                                 actual=show(conn.got))
            if conn.closed:
                when = f"after {sent} of the 25 bytes of {who}'s question" if sent else \
                    f"before {who} sent a byte"
                return Violation(2, f"your server closed the connection {when}, while {who} was still there",
                                 help=PIECES_HELP, expected="the connection open until the question is complete",
                                 actual="the end of the stream")
            return None
        if conn.reset:
            return None
        if not conn.got:
            if conn.closed:
                return Violation(3, f"your server closed the connection of {who} without answering its "
                                    f"question" + (" (it had shut down its sending side after the question)"
                                                   if conn.fin else ""),
                                 help=NO_ANSWER_HELP, expected="the 24 bytes of time.ctime()",
                                 actual="nothing, then the end of the stream")
            if idle and not self.blocked(conn):
                return Violation(3, f"{who} sent the whole 25-byte question; your server did nothing more and "
                                    f"no answer came", help=NO_ANSWER_HELP,
                                 expected="the 24 bytes of time.ctime()", actual="nothing (the connection open)")
            return None
        if len(conn.got) < ANSWER_BYTES and not conn.closed and not idle:
            return None  # the rest may still come
        text = conn.got[:ANSWER_BYTES]
        stamp = parse_ctime(text, self.tz_offset)
        if stamp is None:
            return Violation(3, f"{who} did not get the 24 bytes of a time.ctime() text"
                                + (": the time with other bytes around it" if CTIME_SHAPE.search(conn.got)
                                   else ""),
                             help=FORMAT_HELP, expected="24 bytes such as 'Sat Nov 21 19:42:10 2026'",
                             actual=show(conn.got))
        if len(conn.got) > ANSWER_BYTES:
            extra = len(conn.got) - ANSWER_BYTES
            return Violation(3, f"{who} got the time and then {extra} more byte{'s' * (extra > 1)}",
                             help=FORMAT_HELP, expected=show(text) + " and nothing after it",
                             actual=show(conn.got))
        asked = math.floor(self.asked_at(conn))
        answered = math.floor(conn.got_at[0][0]) if conn.got_at else asked
        if asked <= stamp + self.tz_offset <= answered and self.tz_offset:
            return Violation(3, f"{who} got a time {abs(self.tz_offset) // 3600} h {abs(self.tz_offset) % 3600 // 60} "
                                f"min off: the time in UTC, not the server's local time",
                             help="Use time.ctime(), which gives local time: not time.gmtime(), "
                                  "datetime.utcnow() or datetime.now(timezone.utc).",
                             expected=ctime_text(answered, self.tz_offset), actual=text.decode())
        if stamp < asked:
            return Violation(3, f"{who} got {text.decode()}, a time from before its question was complete "
                                f"({ctime_text(asked, self.tz_offset)})",
                             help=STALE_HELP, expected=f"{ctime_text(asked, self.tz_offset)} or later",
                             actual=text.decode())
        if stamp > answered:
            return Violation(3, f"{who} got {text.decode()}, a time in the future",
                             help="Send time.ctime() as it is.",
                             expected=f"{ctime_text(answered, self.tz_offset)} or earlier", actual=text.decode())
        if idle and not conn.closed:
            return Violation(4, f"after answering {who}, your server kept the connection open and did nothing more",
                             help=CLOSE_HELP, expected="the answer, then the end of the stream",
                             actual="the answer, and the connection still open")
        return None
