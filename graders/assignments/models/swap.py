"""The swap server's spec as a pure state machine (solutions/swap/swap.ipynb, "## The spec").

Rules, by spec point (each :class:`~.base.Violation` names its point):

* 2 -- a client's line is every byte it sent up to and including its first ``b"\\n"``, however
  many pieces it came in; a client that hung up (FIN or reset) before its newline has no line.
* 3 -- lines pair up in the order they arrive (the order the explorer sent them: it waits
  until the server has read each step before the next); a client whose line has arrived and
  has no partner gets nothing and keeps its connection open; a client without a line is
  nobody's partner.
* 4 -- each client of a pair gets exactly its partner's line (with its newline), then the
  end of the stream.
* 5 -- pairs are served at the same time and one after another: a pair never waits for
  other clients, connected or not.
* 6 -- a client that hangs up while it waits (reset, or FIN after its line) stops neither the
  server nor later clients: it is forgotten (best), or it is paired with the next line's client,
  who then gets its line (also accepted).  The model keeps every pairing those choices allow
  (a small set) and drops those the server's replies contradict; when none is left, the
  history breaks a rule, explained against the preferred pairing (ghosts forgotten).
"""
from __future__ import annotations

from dataclasses import dataclass

from graders.checking.model import Connection, Model, Violation

FRAMING_HELP = ("Read one whole line (self.rfile.readline(), or recv() in a loop until b'\\n'): one recv() "
                "may return only part of it, cut anywhere, even inside a UTF-8 character; decode the whole "
                "line, not each piece (or pass the bytes on).")
NEWLINE_ONLY_HELP = ("Only b'\\n' ends a line: b'\\r', '\\x0c', '\\x85', '\\u2028' and the like are ordinary "
                     "characters of the string. Read bytes (self.rfile.readline()); str.splitlines() and text "
                     "files opened without newline='\\n' split at them too.")
EXACT_HELP = ("Send the partner's line unchanged, byte for byte, with its newline: do not strip() spaces, tabs "
              "or a byte-order mark, and an empty line (just b'\\n') is a string like any other.")
WAIT_HELP = ("When the second line of a pair arrives, send each client the other's line (with its newline). "
             "The first client waits for the second, as long as it takes (threading.Event, queue.Queue), in a "
             "server that handles clients at the same time (ThreadingTCPServer).")
CONCURRENT_HELP = ("Serve clients at the same time (ThreadingTCPServer, a thread per client): a pair must not "
                   "wait while your server is reading the line of a client that has not sent it yet.")
NO_PARTNER_HELP = ("A client whose line has arrived waits, as long as it takes, until another client's line "
                   "arrives; do not answer it, hang up on it or time it out before that.")
GHOST_HELP = ("A client that hung up without a whole line (readline() returned b'' or bytes without "
              "b'\\n') is nobody's partner: do not pair it; go on waiting for a real line.")
ORDER_HELP = ("Pair clients in the order their LINES arrive, not the order they connected: a client that "
              "connected first but has not sent its line is nobody's partner yet.")
GHOST_LEFT_HELP = ("Writing to a client that has gone raises BrokenPipeError or ConnectionResetError: catch it "
                   "(OSError) so that it stops neither the server nor the partner's reply; better, forget a "
                   "waiting client when it hangs up.")
CLOSE_HELP = ("Close the connection once the partner's line is sent (return from handle(); with os.fork() "
              "the parent closes its copy too), so the client sees the end of the stream.")


def show(data: bytes) -> str:
    return repr(data[:60]) + (f" ... ({len(data)} bytes)" if len(data) > 60 else f" ({len(data)} bytes)")


@dataclass(frozen=True)
class Pairing:
    """One way the server may have paired the lines so far."""

    partner: tuple[tuple[str, str], ...] = ()  # (client, partner) for both sides of every pair
    waiting: str | None = None  # the client whose line waits for a partner
    forgotten: tuple[str, ...] = ()  # clients that hung up while waiting and were dropped

    def partner_of(self, name: str) -> str | None:
        return dict(self.partner).get(name)


class SwapModel(Model):
    RULES = {
        2: "a line is every byte up to the first b'\\n', however it arrives",
        3: "lines pair up in the order they arrive; a line without partner waits (nothing, connection open)",
        4: "each gets its partner's line exactly, then the end of the stream",
        5: "pairs are served at the same time, whatever other clients do",
        6: "a client that hangs up while it waits is forgotten (or paired with the next line)",
    }
    def __init__(self) -> None:
        super().__init__()
        self.pairings: list[Pairing] = [Pairing()]  # every pairing the history allows so far
        self.lines: dict[str, bytes] = {}  # the complete lines, in arrival order

    # -- events

    def send(self, name: str, data: bytes, now: float) -> None:
        conn = self.connections[name]
        had_line = name in self.lines
        super().send(name, data, now)
        if not had_line and b"\n" in conn.sent and not conn.gone:
            self.lines[name] = conn.sent[:conn.sent.index(b"\n") + 1]
            self.pairings = list(dict.fromkeys(p for old in self.pairings for p in self._arrive(old, name)))

    def _arrive(self, old: Pairing, name: str):
        """The pairings after ``name``'s line arrives in ``old`` (the preferred one first)."""
        waiting = old.waiting
        if waiting is None:
            yield Pairing(old.partner, name, old.forgotten)
            return
        if self.connections[waiting].gone:  # it hung up while it waited: forgotten, or paired (accepted)
            yield Pairing(old.partner, name, old.forgotten + (waiting,))
        yield Pairing(old.partner + ((waiting, name), (name, waiting)), None, old.forgotten)

    # -- verdicts

    def line_of(self, name: str) -> bytes:
        return self.lines[name]

    def allows(self, pairing: Pairing, conn: Connection, idle: bool) -> bool:
        """True when what ``conn`` holds is allowed under ``pairing`` (``idle``: nothing more will come)."""
        if conn.reset:
            return True
        partner = pairing.partner_of(conn.name)
        if partner is None:
            if conn.got:
                return False
            if conn.closed:
                # a forgotten client (it hung up while it waited) or one that left without a line may be closed
                return conn.gone
            return True
        expected = self.line_of(partner)
        if not expected.startswith(conn.got):
            return False
        if conn.closed:
            return conn.got == expected
        if not conn.got and self.connections[partner].gone:
            # Paired with a client that hung up while it waited: the other choice (it was forgotten)
            # says nothing comes, so nothing yet says nothing about this one.  The server may still be
            # on its way (its thread not yet woken for this client's line, on a loaded machine).
            return True
        return not idle  # once idle, the whole line and the end of the stream must be in

    def judge(self, name: str, *, idle: bool) -> Violation | None:
        conn = self.connections[name]
        kept = [p for p in self.pairings if self.allows(p, conn, idle)]
        if kept:
            self.pairings = kept
            return None
        return self.explain(conn, self.likeliest(conn), idle)

    def likeliest(self, conn: Connection) -> Pairing:
        """The pairing that best explains what ``conn`` got: one whose partner's line it got part of (or all
        of, or all but the newline), else the preferred one (ghosts forgotten)."""
        got = conn.got.rstrip(b"\n")
        for pairing in self.pairings:
            partner = pairing.partner_of(conn.name)
            if partner is not None and got and self.line_of(partner).startswith(got):
                return pairing
        return self.pairings[0]

    def due(self, name: str) -> bool:
        conn = self.connections[name]
        if conn.reset or conn.closed:
            return False
        return all(p.partner_of(name) is not None for p in self.pairings)

    def stop_point(self) -> int:
        """The spec point a server that exits or stops accepting breaks."""
        return 6 if any(c.gone for c in self.connections.values()) else 5

    # -- explanations, against the preferred pairing

    def explain(self, conn: Connection, pairing: Pairing, idle: bool) -> Violation:
        who = f"client {conn.name}"
        partner = pairing.partner_of(conn.name)
        got = conn.got
        if partner is None:
            own = self.lines.get(conn.name)
            if got:
                source = next((n for n, c in self.connections.items()
                               if n != conn.name and c.sent and got.rstrip(b"\n") == c.sent.rstrip(b"\n")
                               and n not in self.lines), None)
                if source is not None and self.connections[source].gone:
                    return Violation(3, f"{who} got the bytes of client {source}, who hung up without a whole "
                                        f"line", help=GHOST_HELP, expected="nothing yet: it waits for a partner",
                                     actual=show(got))
                piece = got[:-1] if got.endswith(b"\n") else got
                cut = next((n for n, c in self.connections.items() if n != conn.name and piece
                            and c.sent.startswith(piece) and len(piece) < len(self.lines.get(n, c.sent + b"?")) - 1),
                           None)
                if cut is not None:
                    return Violation(2, f"{who} got {show(got)}: only a piece of client {cut}'s line, which was not "
                                        f"complete when your server answered", help=FRAMING_HELP,
                                     expected="nothing yet: a line ends at b'\\n'", actual=show(got))
                if own is not None and got == own:
                    return Violation(3, f"{who} got its own line back while it had no partner",
                                     help=NO_PARTNER_HELP, expected="nothing yet: it waits for a partner",
                                     actual=show(got))
                if own is None and conn.fin:
                    return Violation(3, f"{who} hung up (FIN) without a whole line, yet your server paired it: "
                                        f"it got a reply", help=GHOST_HELP,
                                     expected="nothing: it is nobody's partner", actual=show(got))
                if own is None:
                    return Violation(2, f"{who} got a reply before its line was complete", help=FRAMING_HELP,
                                     expected=f"nothing: its line is not complete ({len(conn.sent)} bytes, "
                                              f"no b'\\n' yet)", actual=show(got))
                return Violation(3, f"{who} got a reply while it had no partner (the lines arrived in the "
                                    f"order {', '.join(self.lines)})", help=ORDER_HELP,
                                 expected="nothing yet: it waits for a partner", actual=show(got))
            ghost = next((p.partner_of(conn.name) for p in self.pairings
                          if p.partner_of(conn.name) and self.connections[p.partner_of(conn.name)].gone), None)
            if ghost is not None and not got:
                return Violation(6, f"client {ghost} hung up while it waited; then {who}'s line arrived, and your "
                                    f"server closed {who}'s connection without a line", help=GHOST_LEFT_HELP,
                                 expected=f"client {ghost}'s line, or {who} waits for the next partner",
                                 actual="nothing, then the end of the stream")
            when = "while it waited for a partner" if own is not None else "before its line was complete"
            return Violation(3 if own is not None else 2, f"your server closed the connection of {who} {when}",
                             help=NO_PARTNER_HELP if own is not None else FRAMING_HELP,
                             expected="the connection open", actual="the end of the stream")
        expected = self.line_of(partner)
        pair = f"{who} and client {partner} (their lines arrived in that pair)"
        if not got:
            if conn.closed:
                return Violation(4, f"your server closed the connection of {who} without sending it client "
                                    f"{partner}'s line", help=WAIT_HELP, expected=show(expected),
                                 actual="nothing, then the end of the stream")
            others = [c.name for c in self.connections.values()
                      if c.name not in self.lines and not c.gone and c.order < conn.order]
            if others:
                return Violation(5, f"{pair} got nothing while client{'s' * (len(others) > 1)} "
                                    f"{', '.join(others)} (connected earlier, without a line yet) "
                                    f"stayed connected", help=CONCURRENT_HELP, expected=show(expected),
                                 actual="nothing (the connection open)")
            return Violation(3, f"{pair}: {who} got nothing", help=WAIT_HELP, expected=show(expected),
                             actual="nothing (the connection open)")
        if got == expected and not conn.closed:
            return Violation(4, f"{who} got client {partner}'s line, but your server kept the connection open",
                             help=CLOSE_HELP, expected=show(expected) + ", then the end of the stream",
                             actual=show(got) + ", and the connection still open")
        own = self.lines.get(conn.name)
        if own is not None and got == own and own != expected:
            return Violation(4, f"{who} got its own line back instead of client {partner}'s",
                             help=WAIT_HELP, expected=show(expected), actual=show(got))
        other = next((n for n, line in self.lines.items() if n not in (conn.name, partner) and got == line
                      and line != expected), None)
        if other is not None:
            return Violation(3, f"{who} got client {other}'s line, but its partner is client {partner}: the "
                                f"lines arrived in the order {', '.join(self.lines)}",
                             help=ORDER_HELP, expected=show(expected), actual=show(got))
        if got == expected[:-1]:
            return Violation(4, f"{who} got client {partner}'s string without its newline",
                             help="Send the partner's line with its newline b'\\n' (readline() keeps it).",
                             expected=show(expected), actual=show(got))
        if got.startswith(expected):
            return Violation(4, f"{who} got client {partner}'s line and then {len(got) - len(expected)} more "
                                f"bytes", help=EXACT_HELP, expected=show(expected), actual=show(got))
        if expected.startswith(got):
            cut = expected[len(got) - 1:len(got)] if got.endswith(b"\n") else b""
            return Violation(2, f"{who} got only the first {len(got)} of the {len(expected)} bytes of client "
                                f"{partner}'s line, then the end of the stream",
                             help=NEWLINE_ONLY_HELP if cut else FRAMING_HELP,
                             expected=show(expected), actual=show(got))
        text = expected.decode("utf-8")
        if got in (text.encode("latin-1", "replace"), expected.decode("latin-1").encode("utf-8"),
                   text.encode("ascii", "replace"), text.encode("utf-8", "replace").replace(b"?", b"")):
            return Violation(2, f"{who} got client {partner}'s line in another encoding than UTF-8",
                             help="Decode and encode with UTF-8 both ways (or pass the bytes on untouched): "
                                  "not Latin-1 or ASCII.", expected=show(expected), actual=show(got))
        separators = ("\r", "\x0c", "\x85", "\u2028", "\u2029", "\x0b", "\x1c", "\x1d", "\x1e")
        text = expected.decode("utf-8", "replace")
        if any(s in text for s in separators) and text.startswith(got.decode("utf-8", "replace").rstrip("\n")):
            return Violation(2, f"{who} got client {partner}'s line cut at a character that is not b'\\n'",
                             help=NEWLINE_ONLY_HELP, expected=show(expected), actual=show(got))
        if got.strip() == expected.strip() or got.replace(b"\xef\xbb\xbf", b"") == expected.replace(
                b"\xef\xbb\xbf", b""):
            return Violation(4, f"{who} got client {partner}'s line changed (spaces or a byte-order mark)",
                             help=EXACT_HELP, expected=show(expected), actual=show(got))
        return Violation(2 if b"\xef\xbf\xbd" in got or len(self.connections[partner].pieces) > 1 else 4,
                         f"{who} did not get exactly client {partner}'s line", help=FRAMING_HELP,
                         expected=show(expected), actual=show(got))
