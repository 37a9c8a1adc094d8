"""The swap server (seed 002, exercise 1: "swap one data string between two clients").

Spec, as the student notebook states it:

* the server listens on TCP port 12092 (any interface, or 127.0.0.1);
* each client connects and sends **one line**: a string of UTF-8 text that
  contains no newline, followed by one newline byte ``b"\\n"``.  A line may be
  long (the checks send up to 100 KB) and may arrive in many pieces;
* clients are paired **in the order their lines arrive**: a client whose line
  has arrived waits for a partner; the next client whose line arrives is its
  partner.  A client that is connected but has not sent its line yet is
  nobody's partner;
* each client of a pair receives the *other* client's line, byte for byte,
  with its newline, and then the server closes that connection;
* the server serves any number of pairs, one after another and at the same
  time (a pair must not wait for another pair's clients);
* a client that hangs up while it waits for a partner must not stop the server
  or leave later clients waiting forever.  The server may drop it (best), or
  pair it with the next client, who then receives the line it had sent.

Nothing is random: no environment variable is read.  Sources: seed 002
("Exercises", 1); framing as in seed 001 (``rfile.readline()``).
"""
from __future__ import annotations

import threading
import time

from ..checks import Assignment, Failure
from ..harness import show

PORT = 12092
WAIT = 5.0  # seconds a correct server gets for any reply
ALONE = 0.4  # seconds a lone client must hear nothing
LONG_BYTES = 100_000  # bytes in the long strings (plus the newline)

ASSIGNMENT = Assignment("swap", title="The swap server", answer_file="swap_server.py", port=PORT)
check = ASSIGNMENT.check

FRAMING_HELP = ("Read one whole line (self.rfile.readline(), or recv() in a loop until b'\\n'): "
                "one recv() may return only part of it.")


def line(text: str) -> bytes:
    """The bytes a client sends for ``text``: UTF-8 plus a newline."""
    return text.encode("utf-8") + b"\n"


def expect_reply(client, expected: bytes, partner: str, *, timeout: float = WAIT) -> None:
    """Client receives exactly ``expected`` (``partner``'s line); raises Failure otherwise."""
    got = client.receive(len(expected), timeout=timeout)
    if got == expected:
        return
    who = client.name
    if not got:
        why = "the server closed the connection" if client.peer_closed else f"nothing came in {timeout:g} s"
        raise Failure(f"client {who} did not receive client {partner}'s string ({why})",
                      expected=show(expected), actual="nothing",
                      help="When the second line of a pair arrives, send each client the other's line "
                           "(with its newline). The first client must wait for the second, e.g. with a "
                           "threading.Event or a queue.Queue, in a server that handles clients at the "
                           "same time (ThreadingTCPServer).")
    if expected.startswith(got):
        raise Failure(f"client {who} received only the first {len(got)} of the {len(expected)} bytes of "
                      f"client {partner}'s line",
                      expected=show(expected), actual=show(got), help=FRAMING_HELP)
    raise Failure(f"client {who} did not receive exactly client {partner}'s line",
                  expected=show(expected), actual=show(got),
                  help="Send the partner's line unchanged, byte for byte, with its newline, "
                       "and nothing else.")


def expect_nothing_yet(client, why: str) -> None:
    """Client must receive nothing (and not be hung up on) for ALONE seconds."""
    early = client.receive(1 << 20, timeout=ALONE)
    if early or client.peer_closed:
        raise Failure(f"client {client.name} got an answer while it had no partner ({why})",
                      expected=f"no reply for now: client {client.name} waits for a partner",
                      actual=show(early) if early else "the server closed the connection",
                      help="A client whose line has arrived must wait until another client's line "
                           "arrives; only then does each get the other's line.")


def swap_pair(a, b, text_a: str, text_b: str) -> None:
    """Connected clients a then b send their lines; each must get the other's."""
    a.send(line(text_a))
    b.send(line(text_b))
    receive_both([(a, line(text_b), b.name), (b, line(text_a), a.name)])


def receive_both(expectations) -> None:
    """Receive on several clients at once (so a server writing to one first cannot stall us)."""
    errors: list[BaseException] = []

    def one(client, expected, partner):
        try:
            expect_reply(client, expected, partner)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=e, daemon=True) for e in expectations]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT + 5)
    if errors:
        raise errors[0]


@check("starts and listens on a TCP port")
def starts(run):
    run.start()


@check("listens on port 12092, as the spec says", depends="starts")
def uses_port(run):
    server = run.start()
    if server.port != PORT:
        raise Failure(f"your server listens on port {server.port}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"Clients look for the swap server on port {PORT}: PORT = {PORT}.")


@check("swaps the strings of two clients connected at the same time", depends="starts", timeout=30)
def swaps(run):
    server = run.start()
    a = server.client("A")
    b = server.client("B")
    a.send(line("hello from A"))
    expect_nothing_yet(a, "B had not sent its string yet")
    b.send(line("greetings from B"))
    receive_both([(a, line("greetings from B"), "B"), (b, line("hello from A"), "A")])


@check("swaps non-ASCII text (UTF-8) unchanged", depends="swaps", timeout=30)
def non_ascii(run):
    server = run.start()
    a = server.client("A")
    b = server.client("B")
    swap_pair(a, b, "Grüße aus Köln, ça va? ✓", "日本語のテキスト 😀 — ½")


@check("serves pairs one after another", depends="swaps", hidden=True, timeout=40)
def pairs_in_turn(run):
    server = run.start()
    for n in range(1, 4):
        a = server.client(f"A{n}")
        b = server.client(f"B{n}")
        swap_pair(a, b, f"pair {n}: first", f"pair {n}: second")
        a.close()
        b.close()
    server.require_alive("after three pairs")


@check("serves two pairs at the same time (one pair does not wait for the other)", depends="swaps",
       hidden=True, timeout=40)
def overlapping_pairs(run):
    server = run.start()
    a, b = server.client("A"), server.client("B")
    c, d = server.client("C"), server.client("D")
    # A and B are connected but silent: C and D, whose lines arrive first, are the first pair.
    swap_pair(c, d, "C was here", "D was here")
    swap_pair(a, b, "A, at last", "B, at last")


@check("a third client waits for a partner of its own", depends="swaps", hidden=True, timeout=40)
def odd_client_waits(run):
    server = run.start()
    a, b = server.client("A"), server.client("B")
    swap_pair(a, b, "apple from A", "banana from B")
    c = server.client("C")
    c.send(line("cherry from C"))
    expect_nothing_yet(c, "A and B were already served; nobody else had sent a string")
    d = server.client("D")
    d.send(line("date from D"))
    receive_both([(c, line("date from D"), "D"), (d, line("cherry from C"), "C")])


@check("survives a client that hangs up while it waits for a partner", depends="swaps", hidden=True,
       timeout=40)
def waiting_client_leaves(run):
    server = run.start()
    gone = server.client("A")
    gone.send(line("A will not wait"))
    gone.receive(1, timeout=0.3)
    gone.abort()
    time.sleep(0.3)  # time for a server that watches waiting clients to notice (it may also not)
    b = server.client("B")
    b.send(line("B is here"))
    c = server.client("C")
    c.send(line("C is here"))
    # Either A was dropped (B and C are a pair) or B was paired with the departed A.
    got = b.receive(len(line("C is here")), timeout=WAIT)
    if got == line("A will not wait")[:len(got)] and got:
        got += b.receive(len(line("A will not wait")) - len(got), timeout=WAIT)
        if got != line("A will not wait"):
            raise Failure("client B got a garbled line", expected=show(line("A will not wait")),
                          actual=show(got), help="Send the partner's line unchanged.")
        d = server.client("D")
        d.send(line("D is here"))
        receive_both([(c, line("D is here"), "D"), (d, line("C is here"), "C")])
    elif got == line("C is here"):
        expect_reply(c, line("B is here"), "B")
    else:
        deadline = time.monotonic() + 1.0
        while b.peer_closed and server.alive() and time.monotonic() < deadline:
            time.sleep(0.05)  # B was hung up on: is the server on its way out?
        server.require_alive("after client A hung up while waiting for a partner")
        raise Failure("after client A hung up while waiting, clients B and C were not served",
                      expected=f"B gets {show(line('C is here'))} (A is dropped), "
                               f"or B gets A's {show(line('A will not wait'))}",
                      actual=show(got) if got else "nothing",
                      help="Writing to a client that has gone raises BrokenPipeError or "
                           "ConnectionResetError: catch it (OSError) so it does not stop the server or "
                           "the partner's reply; better, forget a waiting client when it hangs up.")
    server.require_alive("after client A hung up while waiting for a partner")


@check("swaps long strings (100 KB each, arriving in pieces)", depends="swaps", hidden=True, timeout=40)
def long_strings(run):
    server = run.start()
    a, b = server.client("A"), server.client("B")
    text_a = ("A" + "abcdefghij" * (LONG_BYTES // 10))[:LONG_BYTES]
    text_b = ("B" + "0123456789" * (LONG_BYTES // 10))[:LONG_BYTES]
    swap_pair(a, b, text_a, text_b)


@check("closes each connection after sending the partner's line", depends="swaps", hidden=True,
       timeout=30)
def closes_after_swap(run):
    server = run.start()
    a, b = server.client("A"), server.client("B")
    swap_pair(a, b, "A says goodbye", "B says goodbye")
    for client in (a, b):
        extra = client.receive(1 << 16, timeout=2.0)
        if extra or not client.peer_closed:
            raise Failure(f"after the swap, client {client.name} "
                          + ("got more bytes" if extra else "was not hung up on"),
                          expected="the server closes the connection right after the partner's line",
                          actual=show(extra) if extra else "the connection stayed open for 2 s",
                          help="After sending the partner's line, close the connection (a socketserver "
                               "handler does that when handle() returns; with raw sockets, conn.close()).")
