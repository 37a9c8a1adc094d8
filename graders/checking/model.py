"""The shared base of the assignments' spec models (see graders.assignments.models).

A model is a pure state machine: the scenario explorer (graders.checking.explore)
tells it what the clients did (connect, send a piece of bytes, shut down their
sending side with a FIN, reset the connection) and what each connection got
from the server, with the times they happened (seconds: ``time.time()``); it
answers two questions about one connection:

* :meth:`Model.due` -- must the server, without any more input, still send
  something on it (a reply, or the end of the stream)?  The explorer then waits
  for it, patiently.
* :meth:`Model.judge` -- is what the connection holds allowed?  ``idle`` tells
  that the server has done all it will do with its input (graders.sandbox.watch), so
  that what is missing now is missing for good.  The answer is ``None`` or a
  :class:`Violation` naming the numbered spec point of the rule broken.

No I/O, no clock, no randomness: the unit tests of the models run in
milliseconds (tests/test_models.py), and the same history always gets the same
verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Violation:
    """A rule of the spec broken by what the server did (all text is for the student)."""

    point: int  # the numbered spec point
    rationale: str  # what happened
    help: str  # a hint about the bug seen
    expected: str | None = None
    actual: str | None = None


@dataclass
class Connection:
    """What one client did and got, as a model sees it."""

    name: str
    order: int  # the how-manieth connection of the session (0 first)
    connected: float = 0.0  # seconds (time.time()) it connected
    sent: bytes = b""
    pieces: list[tuple[float, int]] = field(default_factory=list)  # (seconds, bytes sent so far) per piece
    fin: bool = False  # the client shut down its sending side (a clean hang-up, FIN)
    reset: bool = False  # the client reset the connection (RST): it sees nothing more
    got: bytes = b""
    closed: bool = False  # the server closed (or reset) the connection
    got_at: list[tuple[float, int]] = field(default_factory=list)  # (seconds, bytes got so far)

    @property
    def gone(self) -> bool:
        """The client has left: it hung up (FIN) or reset."""
        return self.fin or self.reset


class Model:
    """The base of every assignment's model: records the events, judges nothing.

    Subclasses set :data:`RULES` (spec point -> the rule, in words) and
    override :meth:`due` and :meth:`judge`.
    """

    RULES: dict[int, str] = {}

    def __init__(self) -> None:
        self.connections: dict[str, Connection] = {}

    # -- what the clients did ----------------------------------------------------------------------

    def connect(self, name: str, now: float) -> Connection:
        conn = Connection(name, len(self.connections), connected=now)
        self.connections[name] = conn
        return conn

    def send(self, name: str, data: bytes, now: float) -> None:
        conn = self.connections[name]
        conn.sent += data
        conn.pieces.append((now, len(conn.sent)))

    @staticmethod
    def sent_by(conn: Connection, size: int) -> float | None:
        """When the first ``size`` bytes of ``conn`` were all out (seconds), or None."""
        return next((at for at, total in conn.pieces if total >= size), None)

    def fin(self, name: str, now: float) -> None:
        self.connections[name].fin = True

    def reset(self, name: str, now: float) -> None:
        self.connections[name].reset = True

    # -- what the server did -----------------------------------------------------------------------

    def received(self, name: str, data: bytes, closed: bool, now: float) -> None:
        """Connection ``name`` got ``data`` (maybe b"") and, with ``closed``, the end of the stream."""
        conn = self.connections[name]
        if data:
            conn.got += data
            conn.got_at.append((now, len(conn.got)))
        conn.closed = conn.closed or closed

    # -- the verdicts ------------------------------------------------------------------------------

    def waiting(self, name: str) -> bool:
        """True when the server may leave ``name`` unserved for now (its bytes unread: e.g. a server that
        serves one client at a time is busy with another)."""
        return False

    def due(self, name: str) -> bool:
        """True when the server must still send something on ``name`` (or close it) unprompted."""
        return False

    def judge(self, name: str, *, idle: bool) -> Violation | None:
        """A rule ``name``'s history breaks, or None; ``idle``: the server will do nothing more."""
        return None
