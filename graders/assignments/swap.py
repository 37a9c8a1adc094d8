"""The swap server (seed 002, exercise 1: "swap one data string between two clients").

The numbered spec the student reads is the "## The spec" cell of
solutions/swap/swap.ipynb; :data:`SPEC` is its short form, and every check
names the points it verifies (``spec=``).  Decisions written into that spec:

* a line is every byte before the first ``b"\\n"``: spaces, tabs, ``b"\\r"``,
  ``\\x0c``, U+2028 and the like are part of the string, which may be empty;
* clients send valid UTF-8 only (a server may decode and re-encode it, or
  pass the bytes on untouched) and send nothing after their newline;
* a client that hangs up before its line is complete is nobody's partner.

How the time- and race-dependent points are verified without luck:

* "a line may arrive in many pieces": the client sends a piece, then waits
  until the server has *read* it (the connection's receive queue in
  ``/proc/PID/net/tcp`` of the server's network namespace is empty, proc(5))
  before sending the next, so the server's ``recv()`` cannot get two pieces at
  once; pieces end inside multi-byte UTF-8 characters;
* "a lone client waits": in ``swaps`` a lone client hears nothing for 1.5 s,
  counted from the moment the server has read its line (a server that
  answers or drops a lone client after a shorter timeout fails ``swaps``,
  and every other check is skipped); the only real wait.  Elsewhere a
  client is alone for at most ``ALONE`` plus one send, and every other
  client is connected beforehand;
* "a line arrives first": ``swap_pair`` sends the second line only once the
  server has read the first, so arrival order never depends on scheduling;
* "shared state needs a lock": ``many_at_once`` starts the server with a
  ``sitecustomize.py`` beside the student's file that makes Python switch
  threads every microsecond and lets other threads in at every function call
  of a ``threading`` thread (``sys.setswitchinterval``,
  ``threading.setprofile``); ``BURST`` clients connect, and once the server
  has accepted them all (its listening socket's queue is empty) their lines
  go out in one burst; twice.  A check-then-set without a lock then loses or doubles
  a partner every time (20 of 20 gradings); a correct server is merely slower.
  ``BURST`` stays at 10: the sandbox's 1 GiB address-space limit lets a
  threaded server start only about 13 threads (glibc reserves 64 MiB of
  address space per thread arena).

Nothing is random: no environment variable is read.  Sources: seed 002
("Exercises", 1); framing as in seed 001 (``rfile.readline()``); proc(5) for
``/proc/net/tcp``.
"""
from __future__ import annotations

import select
import socket
import threading
import time

from graders.checking import sites
from graders.checking.checks import Assignment, Failure
from graders.sandbox import watch
from graders.checking.harness import Client, Server, show
from graders.sandbox import isolation_mode

PORT = 12092
WAIT = 10.0  # seconds a correct server gets for any reply (generous: it only delays a failing verdict)
ALONE = 0.3  # seconds a lone client must hear nothing (in checks where that is a side point)
LONE_WAIT = 1.5  # seconds a lone client must hear nothing in swaps
READ_WAIT = 3.0  # seconds to wait for the server to read a piece before sending the next
LONG_BYTES = 100_000  # bytes in the long strings (plus the newline)
BURST = 10  # clients whose lines arrive at once in many_at_once, per server
RACE_ROUNDS = 2  # bursts many_at_once sends, one after the other, to one server

SPEC = {
    1: "listens on TCP port 12092, reachable at 127.0.0.1",
    2: "reads one line: UTF-8 text up to the first b'\\n' (other bytes are part of it), "
       "however many pieces it arrives in",
    3: "pairs clients in the order their lines arrive: a client whose line has arrived waits; "
       "one that has not sent it (or hung up without it) is nobody's partner",
    4: "sends each client the other's line byte for byte, with its newline, and nothing else; "
       "then closes the connection",
    5: "serves any number of pairs, one after another and at the same time, "
       "even when many lines arrive at once",
    6: "a client that hangs up while it waits stops neither the server nor later clients",
}

ASSIGNMENT = Assignment("swap", title="The swap server", answer_file="swap_server.py", port=PORT,
                        spec=SPEC)
check = ASSIGNMENT.check

FRAMING_HELP = ("Read one whole line (self.rfile.readline(), or recv() in a loop until b'\\n'): "
                "one recv() may return only part of it.")
WAIT_HELP = ("When the second line of a pair arrives, send each client the other's line "
             "(with its newline). The first client must wait for the second, e.g. with a "
             "threading.Event or a queue.Queue, in a server that handles clients at the "
             "same time (ThreadingTCPServer).")
LOCK_HELP = ("Two handlers can look at \"is someone waiting?\" at the same moment: do the check and "
             "the update together under one threading.Lock (with lock: ...), or let one "
             "queue.Queue do the pairing.")
PIECES_HELP = ("A recv() returns whatever has arrived: the line may come in pieces, and a piece may "
               "end in the middle of a multi-byte UTF-8 character. Collect bytes until b'\\n' "
               "(self.rfile.readline() does that), and decode the whole line, not each piece.")
NEWLINE_ONLY_HELP = ("Only b'\\n' ends a line: b'\\r', '\\x0c', '\\x85', '\\u2028' and the like are "
                     "ordinary characters of the string. Read bytes (self.rfile.readline()); "
                     "str.splitlines() and text files opened without newline='\\n' split at them too.")
EXACT_HELP = ("Send the partner's line unchanged, byte for byte, with its newline: do not strip() "
              "spaces or tabs, and an empty line (just b'\\n') is a string like any other.")


# -- helpers -------------------------------------------------------------------------------------

def line(text: str) -> bytes:
    """The bytes a client sends for ``text``: UTF-8 plus a newline."""
    return text.encode("utf-8") + b"\n"


def send_line(client: Client, data: bytes) -> None:
    """``client`` sends its whole line ``data`` (remembered as ``client.line``)."""
    client.line = data
    client.send(data)


def exact_lines(server: Server) -> Server:
    """Mark ``server``'s check as one whose point is the exact bytes of the reply (its newline too).

    Fair partial credit (issue 21): the other checks' point is the pairing, the
    framing or serving on, so they read a reply tolerantly (:func:`tolerated`):
    a line that lacks only its final newline counts as the partner's line; the
    checks of the exact bytes (swaps, exact_bytes) judge the newline.
    """
    server.exact = True
    return server


def tolerated(client: Client, got: bytes, expected: bytes) -> bytes:
    """``got``, or ``expected`` when ``client``'s check reads tolerantly and ``got`` is ``expected``
    without its final newline (the server sent the line and no newline, then closed or went quiet)."""
    if not got or not expected.endswith(b"\n") or got != expected[:-1] \
            or client.server.exact:
        return got
    client.server.transcript.add("grader", f"client {client.name}'s line came without its newline: "
                                 f"taken as the partner's line here (\"swaps the lines of two clients\" "
                                 f"judges the newline)")
    return expected


def expect_reply(client: Client, expected: bytes, partner: str, *, timeout: float = WAIT,
                 help: str | None = None) -> None:
    """Client receives exactly ``expected`` (``partner``'s line); raises Failure otherwise.

    Outside the checks of the exact bytes (:func:`exact_lines`), a line without
    its final newline is accepted (:func:`tolerated`).
    ``help`` replaces the hint for a wrong or missing reply (the check knows the likely bug).
    """
    got = client.receive(len(expected), timeout=timeout)
    if tolerated(client, got, expected) == expected:
        return
    who = client.name
    own = getattr(client, "line", None)
    if not got:
        why = "the server closed the connection" if client.peer_closed else f"nothing came in {timeout:g} s"
        raise Failure(f"client {who} did not receive client {partner}'s line ({why})",
                      expected=show(expected), actual="nothing", help=help or WAIT_HELP)
    if got == expected[:-1] and client.peer_closed:
        raise Failure(f"client {who} received client {partner}'s string without its newline",
                      expected=show(expected), actual=show(got),
                      help="Send the partner's line with its newline b'\\n' at the end "
                           "(rfile.readline() keeps it: send what it returned).",
                      dependents_run=True)  # paired right: the other checks judge their own points
    if own is not None and got == own[:len(got)] and len(got) >= min(len(own), len(expected)):
        raise Failure(f"client {who} received its own line back instead of client {partner}'s",
                      expected=show(expected), actual=show(got),
                      help="Each client gets the OTHER client's line: the first client waits until a "
                           "second line arrives, then each gets the other's.")
    if expected.startswith(got):
        raise Failure(f"client {who} received only the first {len(got)} of the {len(expected)} bytes of "
                      f"client {partner}'s line" + ("" if client.peer_closed else f" in {timeout:g} s"),
                      expected=show(expected), actual=show(got), help=help or FRAMING_HELP)
    raise Failure(f"client {who} did not receive exactly client {partner}'s line",
                  expected=show(expected), actual=show(got),
                  help=help or "Send the partner's line unchanged, byte for byte, with its newline, "
                               "and nothing else.")


def expect_nothing_yet(client: Client, why: str, *, seconds: float = ALONE) -> None:
    """Client must receive nothing (and not be hung up on) for ``seconds``."""
    early = client.receive(1 << 20, timeout=seconds, patient=False)
    if early or client.peer_closed:
        own = getattr(client, "line", None)
        what = "its own line back" if early and early == own else "an answer"
        raise Failure(f"client {client.name} got {what} while it had no partner ({why})"
                      if early else
                      f"the server closed client {client.name}'s connection while it waited for a "
                      f"partner ({why})",
                      expected=f"no reply for {seconds:g} s: client {client.name} waits for a partner",
                      actual=show(early) if early else "the server closed the connection",
                      help="A client whose line has arrived waits, as long as it takes, until another "
                           "client's line arrives; only then does each get the other's line. Do not "
                           "answer it (or hang up) after a timeout.")


def swap_pair(a: Client, b: Client, text_a: str, text_b: str, *, help: str | None = None) -> None:
    """Connected clients a then b send their lines (b once the server has read a's); each must get the other's."""
    send_line(a, line(text_a))
    wait_read(a.server, a)  # so a's line arrives first, whatever the load
    send_line(b, line(text_b))
    receive_all([(a, line(text_b), b.name), (b, line(text_a), a.name)], help=help)


def receive_all(expectations, *, help: str | None = None) -> None:
    """Receive on several clients at once (so a server writing to one first cannot stall us)."""
    errors: list[BaseException] = []

    def one(client, expected, partner):
        try:
            expect_reply(client, expected, partner, help=help)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=e, daemon=True) for e in expectations]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT + 5)
    if errors:
        first = errors[0]
        if isinstance(first, Failure):  # the other checks run only if every reply was only a slip
            first.dependents_run = all(getattr(e, "dependents_run", False) for e in errors)
        raise first


def first_to_hear(server: Server, clients: list[Client], timeout: float) -> Client | None:
    """The first of ``clients`` with bytes (or the end of the stream) to read within ``timeout`` seconds.

    Longer while the server is busy (graders.sandbox.watch.wait_for); None when nothing came.
    """
    ready: list = []

    def heard() -> bool:
        socks = [client.sock for client in clients if client.sock is not None]
        ready[:] = select.select(socks, [], [], 0)[0] if socks else []
        return bool(ready)

    watch.wait_for(heard, timeout, server)
    return next((client for client in clients if client.sock in ready), None)


def wait_until(condition, timeout: float) -> bool:
    """Poll ``condition()`` until it is true (True) or ``timeout`` seconds pass (False): no patience."""
    return watch.wait_for(condition, timeout)


def wait_read(server: Server, client: Client, *, timeout: float = READ_WAIT) -> bool:
    """Wait until the server has read every byte ``client`` sent (True), or ``timeout`` (False).

    Longer while the server is busy (:func:`graders.sandbox.watch.wait_for`): a loaded machine may
    take seconds to schedule it; shorter when it is stuck (asleep with the bytes unread for
    :data:`graders.sandbox.watch.IDLE_GRACE` seconds: it does not read that connection).
    """
    return watch.wait_for(lambda: watch.unread(server, client) == 0, timeout, server, stuck=True)


def accepted_all(server: Server) -> bool:
    """True when the server has accepted every connection made so far (its accept queue is empty)."""
    return not watch.listen_backlog(server)


def send_in_pieces(server: Server, client: Client, data: bytes, cuts: list[int]) -> None:
    """Send ``data`` cut at the byte offsets ``cuts``; the server reads each piece before the next."""
    client.line = data
    edges = [0, *cuts, len(data)]
    reading = True
    for start, end in zip(edges, edges[1:]):
        client.send(data[start:end])
        if end < len(data) and reading:
            reading = wait_read(server, client)  # once it stopped reading, waiting again tells nothing


def inside(data: bytes, char: str, offset: int = 1) -> int:
    """A byte offset ``offset`` bytes into the first ``char`` of ``data`` (inside its UTF-8 encoding)."""
    return data.index(char.encode("utf-8")) + offset


# -- checks --------------------------------------------------------------------------------------

@check("starts and listens on a TCP port", spec=1)
def starts(run):
    run.start()


@check("listens on port 12092, reachable at 127.0.0.1, as the spec says", depends="starts", spec=1)
def uses_port(run):
    server = run.start()
    if server.port != PORT:
        raise Failure(f"your server listens on port {server.port}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"Clients look for the swap server on port {PORT}: PORT = {PORT}.")
    try:
        probe = server.sandbox.open_connection("127.0.0.1", PORT)
    except OSError as exc:
        refused = exc
    else:
        try:
            ok = wait_until(lambda: probe.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0
                            or _connected(probe), 2.0) and _connected(probe)
        finally:
            probe.close()
        if ok:
            return
        refused = OSError("connection refused")
    server.transcript.add("grader", f"connecting to 127.0.0.1:{PORT} failed ({refused})")
    if server.address_not_to_blame(PORT, "while a client connected"):
        return
    raise Failure(f"a client could not connect to 127.0.0.1 port {PORT} (your server listens on "
                  f"{', '.join(f'{h}:{p}' for h, p in server.sandbox.listening)})",
                  expected=f"a server reachable at 127.0.0.1:{PORT} (and localhost)",
                  actual=f"connecting to 127.0.0.1:{PORT}: {refused}",
                  help="Bind the server to '' (every interface) or '127.0.0.1': ThreadingTCPServer(('', "
                       "PORT), ...). '::1' is IPv6 only, and the machine's host name may be another "
                       "address.")


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
        return True
    except OSError:
        return False


@check("swaps the lines of two clients; the first waits for the second, however long it takes",
       depends="starts", timeout=60, spec=(3, 4), waits=LONE_WAIT)
def swaps(run):
    """The exact lines, newline included.  A server that pairs right but drops the newline fails
    here (and in exact_bytes, whose point is the exact bytes: an empty line is just its newline);
    the other checks that depend on this one run and read the lines tolerantly."""
    server = exact_lines(run.start())
    a = server.client("A")
    b = server.client("B")
    send_line(a, line("hello from A"))
    wait_read(server, a)  # the clock starts when the server has A's line
    expect_nothing_yet(a, f"B had not sent its line for {LONE_WAIT:g} s", seconds=LONE_WAIT)
    send_line(b, line("greetings from B"))
    receive_all([(a, line("greetings from B"), "B"), (b, line("hello from A"), "A")])


@check("swaps any UTF-8 text unchanged: non-ASCII, and b'\\r', '\\x85', '\\u2028' inside a line",
       depends="swaps", timeout=60, spec=2)
def non_ascii(run):
    server = run.start()
    a = server.client("A")
    b = server.client("B")
    swap_pair(a, b, "Grüße aus Köln, ça va? ✓", "日本語のテキスト 😀 — ½",
              help="The lines are UTF-8: send the bytes unchanged, or decode and encode them with "
                   "'utf-8' (not 'ascii' or 'latin-1'): 'ü' is two bytes, '😀' four.")
    c, d = server.client("C"), server.client("D")
    swap_pair(c, d, "carriage\rreturn, form\x0cfeed, vertical\x0btab",
              "next\x85line, line\u2028separator, para\u2029graph, file\x1cseparator",
              help=NEWLINE_ONLY_HELP)


@check("a client that has not sent its line is nobody's partner", depends="swaps", hidden=True,
       timeout=60, spec=3)
def silent_client(run):
    server = run.start()
    silent_help = ("Pair clients when their LINES arrive, not when they connect: a client that has "
                   "connected but not sent its line (or hung up without one) is nobody's partner.")
    a = server.client("A")  # connects first, stays silent
    b, c = server.client("B"), server.client("C")
    swap_pair(b, c, "B speaks first", "C answers", help=silent_help)
    d = server.client("D")
    swap_pair(a, d, "A, at last", "D, just in", help=silent_help)
    x = server.client("X")  # hangs up without a line
    x_port = x.sock.getsockname()[1]
    x.close()

    def x_handled():  # the server has closed its end of X's connection
        end = watch.connection_end(server, x_port)
        return end is None or end.state != watch.CLOSE_WAIT
    wait_until(x_handled, 1.0)  # a server that keeps X's socket open costs 1 s, no more
    e, f = server.client("E"), server.client("F")
    swap_pair(e, f, "E after X left", "F after X left", help=silent_help)


@check("reads a line that arrives in pieces, split inside UTF-8 characters", depends="swaps",
       hidden=True, timeout=60, spec=2)
def line_in_pieces(run):
    server = run.start()
    a, b = server.client("A"), server.client("B")
    data = line("Grüße → 😀 ½ tschüss")
    cuts = [inside(data, "ü"), inside(data, "→", 2), inside(data, "😀", 3), len(data) - 1]
    try:
        send_in_pieces(server, a, data, cuts)
    except Failure as exc:
        raise Failure(f"client A sent its line in {len(cuts) + 1} pieces, cut inside multi-byte characters; "
                      f"the server closed the connection before the last piece ({exc.rationale})",
                      expected=f"the server reads until b'\\n': {show(data)}", actual="the connection was closed",
                      help=PIECES_HELP) from None
    send_line(b, line("B's line came in one piece"))
    receive_all([(a, b.line, "B"), (b, data, "A")], help=PIECES_HELP)


def start_small_buffers(run) -> Server:
    """Start the student's server (as ``run.start`` does) with every accepted connection's send buffer
    small (graders.checking.sites.small_send_buffers).  Raises Failure like ``Run.start``.

    long_strings' server: a 100 KB reply is then more than the kernel takes at once, as on a real
    network (on loopback it would take megabytes): a reply sent on a non-blocking socket with
    sendall() is cut short."""
    return run.start(site=sites.small_send_buffers())


@check("swaps long lines (100 KB each, arriving in pieces)", depends="swaps", hidden=True, timeout=60,
       spec=2)
def long_strings(run):
    server = start_small_buffers(run)
    a, b = server.client("A"), server.client("B")
    text_a = ("A" + "abcdefghij" * (LONG_BYTES // 10))[:LONG_BYTES]
    text_b = ("B" + "0123456789" * (LONG_BYTES // 10))[:LONG_BYTES]
    data_a, data_b = line(text_a), line(text_b)
    a.line, b.line = data_a, data_b
    long_help = ("A 100 KB line comes in many pieces: read until b'\\n' with no size limit "
                 "(self.rfile.readline() with no argument; asyncio: start_server(..., limit=...) "
                 "above the default 64 KiB). And it leaves in many pieces: the kernel takes a few KB at "
                 "a time, so send it with sendall() on a blocking socket (on a non-blocking one, sendall() "
                 "stops with BlockingIOError once the buffer is full; keep the rest and send it when "
                 "the socket is writable).")
    try:
        for start, end in ((0, 20_000), (20_000, 70_000), (70_000, len(data_a))):  # both lines, piece by piece
            a.send(data_a[start:end])
            b.send(data_b[start:end])
            if end < len(data_a):  # both at once: a stuck server costs one IDLE_GRACE, not two
                watch.wait_for(lambda: watch.unread(server, a) == 0 and watch.unread(server, b) == 0, READ_WAIT,
                               server, stuck=True)
    except Failure as exc:
        raise Failure(f"clients A and B sent 100 KB lines in pieces; the server closed a connection before "
                      f"the line was complete ({exc.rationale})",
                      expected=f"each client gets the other's whole line ({len(data_a)} bytes)",
                      actual="the connection was closed while the line was still coming", help=long_help) from None
    receive_all([(a, data_b, "B"), (b, data_a, "A")], help=long_help)


@check("swaps spaces, tabs and empty lines unchanged", depends="swaps", hidden=True, timeout=60, spec=4)
def exact_bytes(run):
    """Byte for byte, newline included (an empty line is just b"\\n"): not read tolerantly."""
    server = exact_lines(run.start())
    a, b = server.client("A"), server.client("B")
    swap_pair(a, b, "  two spaces before, a tab after\t", "", help=EXACT_HELP)
    c, d = server.client("C"), server.client("D")
    swap_pair(c, d, "\t", " trailing spaces   ", help=EXACT_HELP)


@check("sends the partner's line, nothing else, and closes the connection", depends="swaps", hidden=True,
       timeout=60, spec=4)
def closes_after_swap(run):
    server = run.start()
    a, b = server.client("A"), server.client("B")
    send_line(a, line("A says goodbye"))
    wait_read(server, a)
    server.client("C")  # connects while A waits and stays silent: what serves C must not keep A's socket
    wait_until(lambda: accepted_all(server), 2.0)  # a forking server forks for C before B's line comes
    send_line(b, line("B says goodbye"))
    receive_all([(a, b.line, "B"), (b, a.line, "A")])
    for client in (a, b):
        extra = client.receive_until_closed(limit=1 << 16, timeout=WAIT)
        if extra:
            newline = extra == b"\n"
            raise Failure(f"after client {client.name} received its partner's line, "
                          + ("one more newline came" if newline else "more bytes came"),
                          expected="the partner's line (it already ends with b'\\n'), then the end",
                          actual=show(client.received),
                          help=("One newline too many: the line already ends with b'\\n'; send it as it is "
                                "(do not add + b'\\n'; print(..., file=...) adds one too)." if newline else
                                "Send the partner's line and nothing else: no greeting, no echo, no "
                                "second line."))
        if not client.peer_closed:
            raise Failure(f"after the swap, client {client.name} was not hung up on "
                          f"(client C had connected while A waited, and was silent)",
                          expected="the server closes the connection right after the partner's line",
                          actual=f"the connection stayed open for {WAIT:g} s",
                          help="After sending the partner's line, close the connection (a socketserver "
                               "handler does that when handle() returns; with raw sockets, conn.close()). "
                               "A forked child keeps a copy of every socket its parent had open when it "
                               "forked: the parent must close each connection as soon as it has forked.")


@check("serves pairs one after another", depends="swaps", hidden=True, timeout=60, spec=5)
def pairs_in_turn(run):
    server = run.start()
    for n in range(1, 4):
        a = server.client(f"A{n}")
        b = server.client(f"B{n}")
        swap_pair(a, b, f"pair {n}: first", f"pair {n}: second")
        a.close()
        b.close()
    server.require_alive("after three pairs")


@check("serves pairs at the same time (one pair does not wait for others)", depends="swaps",
       hidden=True, timeout=60, spec=5)
def overlapping_pairs(run):
    server = run.start()
    silent = [server.client(f"S{n}") for n in range(1, 9)]  # connected, silent
    c, d = server.client("C"), server.client("D")
    swap_pair(c, d, "C was here", "D was here",
              help="Eight clients were connected and silent: serve every client in its own thread "
                   "(ThreadingTCPServer), with no limit on their number, so others are served meanwhile.")
    a, b = silent[0], silent[1]
    swap_pair(a, b, "S1, at last", "S2, at last")


@check("a third client waits for a fourth", depends="swaps", hidden=True, timeout=60, spec=5)
def odd_client_waits(run):
    server = run.start()
    a, b = server.client("A"), server.client("B")
    swap_pair(a, b, "apple from A", "banana from B")
    c, d = server.client("C"), server.client("D")
    send_line(c, line("cherry from C"))
    expect_nothing_yet(c, "A and B were already served; D had not sent its line yet")
    send_line(d, line("date from D"))
    receive_all([(c, line("date from D"), "D"), (d, line("cherry from C"), "C")])


SITECUSTOMIZE = '''"""Put here by the grader (many_at_once): threads take turns as often as they can."""
import sys
import threading
import time


def _take_turns(frame, event, arg, sleep=time.sleep):
    if event in ("call", "c_call"):
        sleep(0)  # let another runnable thread in at every function call


sys.setswitchinterval(1e-6)
threading.setprofile(_take_turns)
'''


def start_racy(run) -> Server:
    """Start the student's server with thread switches every microsecond (namespaces mode only)."""
    if run.cancelled.is_set():
        raise Failure("the check ran out of time")
    racy = isolation_mode() == "namespaces"  # the fallback mode has a sitecustomize of its own
    server = Server(run.path, run.transcript, env={"PYTHONPATH": "."} if racy else None)
    run.servers.append(server)
    if racy:
        (server.workdir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    return server.start(port=PORT)


def burst(server: Server, tag: str) -> None:
    """``BURST`` clients connect; once the server has accepted them all, their lines go in one burst."""
    clients = [server.client(f"{tag}{n:02d}") for n in range(1, BURST + 1)]

    wait_until(lambda: accepted_all(server), 2.0)
    for n, client in enumerate(clients, 1):
        client.line = line(f"line {n:02d} of {tag}")
    for client in clients:  # as close together as we can
        client.sock.send(client.line)
    server.transcript.add("grader", f"{tag}01..{tag}{BURST:02d} sent their lines at once")
    got: dict[str, bytes] = {}

    def take(client):
        try:
            data = client.receive_until(b"\n", timeout=WAIT)
        except Exception:  # noqa: BLE001 - the check was cancelled and its clients closed under us
            data = b""
        got[client.name] = data if data.endswith(b"\n") or not data else data + b"\n"  # tolerated
    threads = [threading.Thread(target=take, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT + 5)
    owner = {c.line: c.name for c in clients}
    partner = {name: owner.get(data) for name, data in got.items()}
    twice = [data for data in owner if list(got.values()).count(data) > 1]
    if twice:
        takers = [name for name, data in got.items() if data == twice[0]]
        raise Failure(f"clients {' and '.join(takers)} both received client {owner[twice[0]]}'s line: two "
                      f"clients were paired with the same waiting client ({BURST} lines arrived at once)",
                      expected="each line goes to exactly one other client", actual=show(twice[0]),
                      help=LOCK_HELP)
    lost = [name for name, who in partner.items() if who is None]
    if lost:
        raise Failure(f"client{'s' if len(lost) > 1 else ''} {', '.join(lost)} received no line of another "
                      f"client ({BURST} lines arrived at once): a waiting client was forgotten or paired twice",
                      expected="every client gets one other client's line",
                      actual=", ".join(f"{n}: {show(got[n]) if got[n] else 'nothing'}" for n in lost),
                      help=LOCK_HELP)
    odd = [name for name, who in partner.items() if partner.get(who) != name]
    if odd:
        name = odd[0]
        raise Failure(f"client {name} received client {partner[name]}'s line, but client {partner[name]} did "
                      f"not receive client {name}'s ({BURST} lines arrived at once)",
                      expected="the two clients of a pair get each other's line",
                      actual=f"{partner[name]} got {show(got[partner[name]])}", help=LOCK_HELP)


@check("pairs everyone when many lines arrive at the same moment", depends="swaps", hidden=True,
       timeout=60, spec=(5, 3))
def many_at_once(run):
    server = start_racy(run)
    for tag in "PQ"[:RACE_ROUNDS]:
        burst(server, tag)


@check("survives a client that hangs up while it waits for a partner", depends="swaps", hidden=True,
       timeout=60, spec=6)
def waiting_client_leaves(run):
    server = run.start()
    gone = server.client("A")
    b, c, d = server.client("B"), server.client("C"), server.client("D")  # connected now, silent for a while
    gone.send(line("A will not wait"))
    wait_read(server, gone)
    gone.abort()
    time.sleep(0.3)  # time for a server that watches waiting clients to notice (it may also not)
    b.send(line("B is here"))
    wait_read(server, b)
    c.send(line("C is here"))
    # Three outcomes are correct: A was dropped (B and C are a pair), or the departed A was paired
    # with whichever of B and C the server took first (B's line was read first, but a forking or
    # threading server may still handle C's first): that one gets A's line, the other waits for D.
    lines = {b: line("B is here"), c: line("C is here")}
    first = first_to_hear(server, [b, c], WAIT)
    other = c if first is b else b
    got = first.receive(len(lines[other]), timeout=WAIT) if first is not None else b""
    if got == line("A will not wait")[:len(got)] and got:
        got += first.receive(len(line("A will not wait")) - len(got), timeout=WAIT)
        if tolerated(first, got, line("A will not wait")) != line("A will not wait"):
            raise Failure(f"client {first.name} got a garbled line", expected=show(line("A will not wait")),
                          actual=show(got), help="Send the partner's line unchanged.")
        d.send(line("D is here"))
        receive_all([(other, line("D is here"), "D"), (d, lines[other], other.name)])
    elif tolerated(first, got, lines[other]) == lines[other]:
        expect_reply(other, lines[first], first.name)
    else:
        deadline = time.monotonic() + 1.0
        while b.peer_closed and server.alive() and time.monotonic() < deadline:
            time.sleep(0.05)  # B was hung up on: is the server on its way out?
        server.require_alive("after client A hung up while waiting for a partner")
        raise Failure("after client A hung up while waiting, clients B and C were not served",
                      expected=f"B and C get each other's line (A is dropped), or one of them gets A's "
                               f"{show(line('A will not wait'))}",
                      actual=f"{first.name}: {show(got)}" if got else "nothing",
                      help="Writing to a client that has gone raises BrokenPipeError or "
                           "ConnectionResetError: catch it (OSError) so it does not stop the server or "
                           "the partner's reply; better, forget a waiting client when it hangs up.")
    server.require_alive("after client A hung up while waiting for a partner")


# -- exploration: generated scenarios checked against the spec's model (issue 21) -------------------

@check("stays right in generated scenarios: any bytes, lines in pieces, clients that hang up or reset at "
       "any moment, several at once", depends="starts", hidden=True, spec=(2, 3, 4, 5, 6), timeout=180.0)
def explore(run):
    from graders.checking.explore import check_by_exploring
    from graders.assignments.scenarios.swap import EXPLORER  # with the model: not in a course's student view
    check_by_exploring(run, ASSIGNMENT, EXPLORER)
