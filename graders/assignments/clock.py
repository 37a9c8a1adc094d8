"""The clock server (seeds 001 and 002: MCS 275 lecture 33, clockserver.py / clockclient.py).

The numbered spec the student reads is the "## The spec" cell of
solutions/clock/clock.ipynb; :data:`SPEC` is its short form, and every check
names the points it verifies (``spec=``).  Decisions written into that spec:

* the question is the 25 ASCII bytes ``'What is the time?'.ljust(25)``, sent
  whole or in pieces (a client may pause a second or two before or between
  them), with nothing after it (no newline); a server may check its text or
  not (the grader sends no other question);
* the answer is exactly the 24 bytes of ``time.ctime()`` (local time), taken
  once the whole question is in: no newline, padding or other framing;
* the server closes the connection right after answering (a clean close or a
  reset both end the stream); it need not answer a client that hangs up
  before its question is complete; serving one client at a time is fine.

How the time- and race-dependent points are verified without luck:

* "the moment it answers": ``time.ctime()`` has whole seconds, so a check
  waits (at most 1 s) for the clock's next whole second before the question
  is complete and requires a stamp no earlier than that second.  A correct
  stamp is never earlier than the second ctime() showed when the client
  asked, nor later than floor(time answered); "the second ctime() showed" is
  C's ``time(NULL)``, a coarse clock that may lag ``time.time()`` by a tick
  (:func:`ctime_clock`).  Servers run with ``TZ`` set to UTC+05:30, so a
  server that answers in UTC (``gmtime``, ``utcnow``) is 5 h 30 min off.
* "nothing yet" (no answer before the last byte, nothing after the 24 bytes,
  no close): instead of a window of silence, :func:`wait_idle` waits until
  the server has *read* every byte the clients sent and every byte it wrote
  has been delivered (the queues of ``/proc/PID/net/tcp`` in the server's
  network namespace, proc(5)), and every thread of every server process has
  slept (state ``S``, not writing to its output pipe) with unchanged
  context-switch counts across two looks (``/proc/PID/task``).  From then on
  the server can only act on new input or a timer, so what the client holds
  is all the server will say.  A server that sleeps on purpose before it
  closes still gets :data:`QUIET_WINDOW` seconds; where idleness cannot be
  observed (no ``/proc``, or a server that never rests) the checks fall back
  to windows of :data:`QUIET_WINDOW` seconds of silence.

Fair partial credit (issue 21): only answers_question judges the answer's
exact form (:func:`require_answer`).  The checks of closing, serving on,
reading the question and surviving clients need an answer of any form
(:func:`require_reply`); time_when_asked judges the time read tolerantly
(:func:`require_time`, :func:`loose_time`) and is skipped when an answer holds
no date and time at all.  When answers_question fails on an answer that came,
its dependents still run, so a trailing newline costs that one check (and
``explore``, which judges the exact model), not the grade.

Sources: the seed's clockserver.py / clockclient.py (``rfile.read(25)``,
``ctime()``); Python docs ``time.ctime``, ``socket.socket.recv``,
``socketserver``; proc(5) for ``/proc/net/tcp`` and ``/proc/PID/task``.
The seed's own clockserver.py meets this spec and passes every check.
"""
from __future__ import annotations

import calendar
import hashlib
import math
import os
import re
import selectors
import socket
import time

from graders.checking.checks import Assignment, CannotJudge, Failure
from graders.sandbox import watch
from graders.checking.harness import Client, Server, crash_help, show

PORT = 12091
QUESTION = "What is the time?".ljust(25).encode("ascii")
CTIME_BYTES = 24
ANSWER_TIMEOUT = 5.0  # seconds a server gets to answer a complete question
IDLE_TIMEOUT = 5.0  # seconds to wait for the server to settle before judging "nothing (more) came"
QUIET_WINDOW = 0.5  # seconds of silence that stand in for wait_idle where /proc cannot be read
TZ = "IST-5:30"  # the servers' time zone (POSIX TZ, no tz database needed): local = UTC + 5:30
TZ_OFFSET = 5 * 3600 + 30 * 60  # seconds east of UTC
SERVER_ENV = {"TZ": TZ}

SPEC = {
    1: "listens on TCP port 12091, reachable at 127.0.0.1 (IPv4)",
    2: "reads each client's question: exactly 25 bytes, however many pieces they come in, and no more",
    3: "answers with exactly the 24 bytes of time.ctime() taken once the question is in: "
       "nothing before or after them",
    4: "closes the connection after answering and goes on serving the next client, also after "
       "clients that say nothing or hang up in the middle of the question",
}

ASSIGNMENT = Assignment("clock", title="The clock server", answer_file="clock_server.py", port=PORT,
                        spec=SPEC)
check = ASSIGNMENT.check


# -- the time ---------------------------------------------------------------------------------------

def local_ctime(seconds: float) -> str:
    """``time.ctime(seconds)`` as the server (TZ = UTC+05:30) writes it."""
    return time.asctime(time.gmtime(math.floor(seconds) + TZ_OFFSET))


def parse_ctime(data: bytes) -> int | None:
    """Seconds since the epoch for the server's ``time.ctime()`` text ``data``, None if it is not one."""
    try:
        text = data.decode("ascii")
        parsed = time.strptime(text, "%a %b %d %H:%M:%S %Y")
    except (UnicodeDecodeError, ValueError):
        return None
    stamp = calendar.timegm(parsed) - TZ_OFFSET
    return stamp if local_ctime(stamp) == text else None


CTIME_SHAPE = re.compile(rb"[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}")


def looks_like_time(text: bytes) -> bool:
    """True for 24 bytes that are a date and time, just not ctime()'s text of it (e.g. 'Nov 03')."""
    try:
        time.strptime(text.decode("ascii"), "%a %b %d %H:%M:%S %Y")
        return True
    except (UnicodeDecodeError, ValueError):
        return False


def ctime_clock() -> int:
    """The whole seconds ``time.ctime()`` would show now: C's ``time(NULL)``.

    Not ``floor(time.time())``: glibc's ``time()`` reads the kernel's coarse
    clock, which may lag ``clock_gettime(CLOCK_REALTIME)`` by a tick, so just
    after a second begins a correct server may still stamp the second before.
    (``time.gmtime()`` without an argument calls ``time(NULL)``, as ctime() does.)
    """
    return calendar.timegm(time.gmtime())


def next_second() -> int:
    """Wait (about 1 s at most) until ctime()'s clock reaches its next whole second; return that second."""
    boundary = ctime_clock() + 1
    while (left := boundary - time.time()) > 0:
        time.sleep(left)  # time itself must pass: ctime() has whole seconds
    while ctime_clock() < boundary:
        time.sleep(0.001)  # the coarse clock catches up within a tick or two
    return boundary


# -- watching the server: has it done everything it is going to do? ---------------------------------

def server_unread(server: Server, client: Client) -> int | None:
    """Bytes ``client`` sent that the server has not read yet (None when unknown)."""
    return watch.unread(server, client)


_RESTLESS: set[bytes] = set()  # digests of server files found never idle (this process, all gradings)


def _digest(server: Server) -> bytes:
    """The server file's SHA-256, read once per server (wait_idle is called several times a check)."""
    if not hasattr(server, "_clock_digest"):
        try:
            server._clock_digest = hashlib.sha256(server.path.read_bytes()).digest()
        except OSError:
            server._clock_digest = b""
    return server._clock_digest


def wait_idle(server: Server, clients=(), *, timeout: float = IDLE_TIMEOUT) -> bool:
    """Wait until the server has done all it will do with what ``clients`` sent (see the module doc).

    True once it is idle (or gone); False when ``timeout`` seconds passed first
    or this cannot be observed here (no /proc).  A server that was never idle
    (it floods its output, or spins) gets :data:`QUIET_WINDOW` seconds at later
    calls, in this check and in the later checks of the same file: the callers
    then fall back to windows of silence.
    """
    digest = _digest(server)
    if getattr(server, "_clock_restless", False) or digest in _RESTLESS:
        timeout = min(timeout, QUIET_WINDOW)
    if watch.wait_idle(server, clients, timeout=timeout):
        return True
    server._clock_restless = True
    if timeout > QUIET_WINDOW and watch.server_pids(server):  # seen, and never idle: not just unseeable
        _RESTLESS.add(digest)
    return False


# -- clients ----------------------------------------------------------------------------------------

HANG_UP_HELP = ("A client that hangs up must not stop your server: catch the error (ConnectionResetError, "
                "a short read) for that client only, and go on serving (continue, not break).")
SERVE_ON_HELP = ("Serve clients for ever: serve_forever(), not handle_request() or a loop that ends; with a "
                 "raw socket, accept() in a `while True:` loop that nothing leaves.")


def connect(server: Server, name: str, context: str = "", help: str = HANG_UP_HELP) -> Client:
    """Connect client ``name``; a server that has stopped is reported as such (``context``, ``help``)."""
    try:
        return server.client(name)
    except Failure:
        require_alive(server, context or f"before client {name} connected", help)
        raise


def require_alive(server: Server, context: str, help: str = HANG_UP_HELP) -> None:
    """Raise Failure when the server has exited (it had the chance to report it within 1 s).

    ``help`` is the hint for what the check did; a crash's traceback follows it.
    """
    if server.alive():
        code = server.sandbox.wait_exit(1.0) if not watch.server_pids(server) else None
    else:
        code = server.sandbox.exit_code
    if code is not None:
        how = "ended by itself (exit status 0)" if code == 0 else f"stopped (exit status {code})"
        raise Failure(f"your server {how} {context}",
                      help=help + "\n" + crash_help(server.output(settle=0.5)))


def rest_of_reply(server: Server, client: Client) -> bytes:
    """Whatever ``client`` still gets until the server closes or has nothing more to do."""
    if client.peer_closed or client.sock is None:
        return b""
    wait_idle(server, [client])
    return client.receive(1 << 16, timeout=QUIET_WINDOW, patient=False)  # ends at once when the server closes


def nothing_yet(server: Server, client: Client) -> bytes:
    """What ``client`` has got so far, once the server has dealt with all it sent (b"" if nothing)."""
    if wait_idle(server, [client]):
        return client.receive(1 << 16, timeout=0.02, patient=False)
    return client.receive(1 << 16, timeout=QUIET_WINDOW, patient=False)


def ask(server: Server, client: Client, question: bytes = QUESTION) -> tuple[bytes, float]:
    """Send (the rest of) the question; returns (the whole reply, time answered)."""
    client.send(question)
    reply = client.receive(CTIME_BYTES, timeout=ANSWER_TIMEOUT)
    answered = time.time()
    if reply:
        reply += rest_of_reply(server, client)
    return reply, answered


STALE_HELP = ("Call ctime() in the handler, after the whole question has arrived: not once when the "
              "server starts (a module-level NOW = ctime()), not when the client connects, and not "
              "cached from an earlier client.")


def require_reply(server: Server, client: Client, reply: bytes, context: str = "") -> None:
    """``client`` must have got an answer, of any form: raises Failure (what happened instead) when
    ``reply`` is empty.  The checks whose point is not the answer's form ask no more than this."""
    who = client.name
    example = local_ctime(time.time()).encode()
    if not reply:
        require_alive(server, f"when client {who} asked{context}")
        if client.peer_closed:
            raise Failure(f"your server closed the connection of client {who} without answering{context}",
                          expected=show(example), actual="nothing, then the end of the stream",
                          help="After reading the 25-byte question, write time.ctime().encode() "
                               "(self.wfile.write(...) or conn.sendall(...)) before closing.")
        unread = server_unread(server, client)
        if unread == 0:
            raise Failure(f"client {who} sent the whole 25-byte question{context}; your server read all of "
                          f"it and then waited for more: no answer came in {ANSWER_TIMEOUT:g} s",
                          expected=show(example), actual="nothing (the connection stayed open)",
                          help="The question has no newline and nothing follows it: read exactly 25 bytes "
                               "(self.rfile.read(25), or recv() in a loop until you have 25), not "
                               "readline(), read() or read(1024).")
        raise Failure(f"client {who} sent the question{context} but got no answer in {ANSWER_TIMEOUT:g} s"
                      + (f"; your server had not even read it ({unread} bytes unread)" if unread else ""),
                      expected=show(example), actual="nothing (the connection stayed open)",
                      help="Read the 25-byte question and write the answer; is your server stuck "
                           "with an earlier client, or not calling accept()?")


LOOSE_CTIME = re.compile(rb"[A-Z][a-z]{2} +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d\d:\d\d +\d{4}")


def loose_time(reply: bytes) -> int | None:
    """Seconds since the epoch of the date and time in ``reply``, read tolerantly; None if it holds none.

    For the checks whose point is the time, not its form: words, a newline,
    padding or other framing around it, a zero-padded day ('Dec 07') or other
    spacing are all accepted (the exact form is answers_question's point).
    """
    found = LOOSE_CTIME.search(reply)
    if not found:
        return None
    try:
        parsed = time.strptime(b" ".join(found.group().split()).decode("ascii"), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return calendar.timegm(parsed) - TZ_OFFSET


def require_time(server: Server, client: Client, reply: bytes, earliest: int, answered: float, *,
                 context: str = "", stale: str = "", stale_help: str = STALE_HELP) -> None:
    """``reply`` must hold a time (in any form, :func:`loose_time`) of a second in [earliest, answered].

    For the checks whose point is the moment the server answers: a reply in
    the wrong form is judged by its time (answers_question judges the form);
    a reply that holds no date and time at all raises :class:`CannotJudge`
    (the check is skipped: its point cannot be judged).
    """
    require_reply(server, client, reply, context)
    stamp = loose_time(reply)
    if stamp is None:
        raise CannotJudge(f"client {client.name}'s answer{context} holds no date and time "
                          f"({show(reply[:60])}), so when it was taken cannot be judged; "
                          f"\"answers the question with the current time\" says what is wrong with it")
    judge_stamp(client, stamp, earliest, answered, context=context, stale=stale, stale_help=stale_help)


def require_answer(server: Server, client: Client, reply: bytes, earliest: int, answered: float, *,
                   context: str = "", stale: str = "", stale_help: str = STALE_HELP) -> None:
    """``reply`` must be exactly the server's ctime() text, of a second in [earliest, answered].

    ``earliest`` is a :func:`ctime_clock` reading (whole seconds) taken before the client asked.

    ``context`` says what the client did, for the rationale; ``stale`` explains
    the lower bound.  Raises Failure with a hint about the bug seen.
    """
    who = client.name
    example = local_ctime(time.time()).encode()
    require_reply(server, client, reply, context)
    text = reply[:CTIME_BYTES]
    stamp = parse_ctime(text)
    if stamp is None and looks_like_time(text):
        raise Failure(f"client {who} got a time, but not in time.ctime()'s exact format{context}",
                      expected=show(local_ctime(answered).encode()), actual=show(reply),
                      help="Send time.ctime() itself, not strftime() or str(datetime): ctime() pads the day "
                           "of the month with a space ('Nov  3'), not a zero, and has no fractions.")
    if stamp is None:
        found = CTIME_SHAPE.search(reply)
        if found:
            raise Failure(f"client {who} got the time with other bytes around it{context}",
                          expected=show(example) + ": the 24 bytes of time.ctime(), nothing else",
                          actual=show(reply),
                          help="Send exactly ctime().encode('ascii'): no words before it, no newline "
                               "or padding after it, no other encoding.")
        raise Failure(f"client {who} did not get a time.ctime() text{context}",
                      expected=show(example) + ", the text of time.ctime()", actual=show(reply),
                      help="Send exactly time.ctime().encode('ascii'): no other time format, no "
                           "other encoding (the client expects 24 ASCII bytes).")
    if len(reply) > CTIME_BYTES:
        extra = reply[CTIME_BYTES:]
        raise Failure(f"client {who} got the time and then {len(extra)} more byte{'s' * (len(extra) > 1)}"
                      f"{context}",
                      expected=show(text) + ", and nothing after it", actual=show(reply),
                      help="The answer is the 24 bytes of ctime() and nothing else: no newline "
                           "(not print(..., file=...) or + '\\n'), no padding to 25 (no ljust).")
    judge_stamp(client, stamp, earliest, answered, context=context, stale=stale, stale_help=stale_help)


def judge_stamp(client: Client, stamp: int, earliest: int, answered: float, *, context: str = "",
                stale: str = "", stale_help: str = STALE_HELP) -> None:
    """The time ``stamp`` (seconds since the epoch) that ``client`` got must be of a second in
    [earliest, answered], in the server's time zone; raises Failure with a hint about the bug seen."""
    who = client.name
    floor = int(earliest)
    text = local_ctime(stamp).encode()
    if floor <= stamp + TZ_OFFSET <= math.floor(answered):  # right, but for the time zone
        raise Failure(f"client {who} got a time 5 h 30 min behind{context}: the grader runs your server "
                      f"in the time zone UTC+05:30, and that is UTC",
                      expected=local_ctime(answered), actual=text.decode(),
                      help="Use time.ctime(), which gives local time: not time.gmtime(), "
                           "datetime.utcnow() or datetime.now(timezone.utc).")
    if stamp < floor:
        raise Failure(f"client {who} got {text.decode()}, a time from before it asked{context}"
                      + (f" ({stale})" if stale else ""),
                      expected=f"{local_ctime(floor)} or later (server time, UTC+05:30)",
                      actual=text.decode(), help=stale_help)
    if stamp > math.floor(answered):
        raise Failure(f"client {who} got {text.decode()}, a time in the future{context}",
                      expected=f"{local_ctime(answered)} or earlier (server time, UTC+05:30)",
                      actual=text.decode(), help="Send time.ctime() as it is: do not add to it.")


def ask_and_check(server: Server, name: str, **kwargs) -> Client:
    """Client ``name`` connects and asks; its reply must be the current ctime() text."""
    earliest = ctime_clock()
    client = connect(server, name, kwargs.get("context", "").strip())
    reply, answered = ask(server, client)
    require_answer(server, client, reply, earliest, answered, **kwargs)
    return client


def ask_for_reply(server: Server, name: str, context: str = "") -> Client:
    """Client ``name`` connects and asks; it must get an answer, of any form (:func:`require_reply`).

    For the checks whose point is not the answer itself (closing, serving on,
    surviving clients): a server whose answer is right but formatted wrong
    loses answers_question only.
    """
    client = connect(server, name, context.strip())
    reply, _ = ask(server, client)
    require_reply(server, client, reply, context)
    return client


def start(run) -> Server:
    """The student's server, in the time zone UTC+05:30."""
    return run.start(env=SERVER_ENV)


# -- checks -----------------------------------------------------------------------------------------

@check("starts and listens on a TCP port", spec=1)
def starts(run):
    start(run)


@check("listens on port 12091 at 127.0.0.1, as the spec says", depends="starts", spec=1)
def uses_port(run):
    server = start(run)
    ports = sorted({port for _, port in server.sandbox.listening})
    if PORT not in ports:
        raise Failure(f"your server listens on port {', '.join(map(str, ports))}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"Clients look for the clock on port {PORT}: PORT = {PORT}, and bind (HOST, PORT).")
    hosts = sorted(host for host, port in server.sandbox.listening if port == PORT)
    error = connects_over_ipv4(server)
    if error and not server.address_not_to_blame(PORT, "while a client connected"):
        raise Failure(f"a client could not connect to 127.0.0.1 port {PORT} ({error}): your server listens "
                      f"on {', '.join(hosts)} only",
                      expected=f"listening on 0.0.0.0 or 127.0.0.1, port {PORT}",
                      actual=", ".join(f"{h} port {PORT}" for h in hosts),
                      help="Bind ('', PORT) or ('127.0.0.1', PORT) with an IPv4 socket (AF_INET, what "
                           "TCPServer uses): the lecture's client connects to 127.0.0.1.")


def connects_over_ipv4(server: Server) -> str | None:
    """Connect to 127.0.0.1:PORT as the lecture's client does; None when it works, else why not."""
    server.transcript.add("client", f"connects to 127.0.0.1 port {PORT}")
    try:
        sock = server.sandbox.open_connection("127.0.0.1", PORT)
    except OSError as exc:
        why = exc.strerror or str(exc)
    else:
        with sock, selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_WRITE)
            ready = sel.select(5.0)
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if ready else None
        if ready and not error:
            server.transcript.add("client", "connected; closes the connection")
            return None
        why = os.strerror(error) if error else "timed out"
    server.transcript.add("client", f"could not connect: {why}")
    return why


@check("answers the question with the current time", depends="starts", spec=(3, 2), waits=1.0)
def answers_question(run):
    """The exact answer: the 24 bytes of ctime(), of the moment asked.  The only check of the exact
    form.  When an answer came but is wrong (its form or its time), the checks that depend on this
    one still run (``dependents_run``): they judge their own points from any answer."""
    server = start(run)
    next_second()  # a stamp taken before this second is not the time of the answer
    earliest = ctime_clock()
    client = connect(server, "A")
    reply, answered = ask(server, client)
    try:
        require_answer(server, client, reply, earliest, answered,
                       stale="your server computed the time before A connected, e.g. once when it started")
    except Failure as failure:
        failure.dependents_run = bool(reply)  # it answered: closing, serving on... can still be judged
        raise


@check("closes the connection after answering", depends="answers_question", spec=4)
def closes_connection(run):
    """Any answer will do (its form is answers_question's point); fails when none comes."""
    server = start(run)
    client = ask_for_reply(server, "A")
    if client.peer_closed:
        return
    idle = wait_idle(server, [client])
    client.receive(1 << 16, timeout=0.02 if idle else 2.0, patient=False)
    if not client.peer_closed:
        raise Failure("after answering client A, your server kept the connection open: A waited for the "
                      "end of the stream" + (" and your server went on waiting too" if idle else ""),
                      expected="the answer, then the end of the stream (your server closes the connection)",
                      actual="the answer, and the connection still open",
                      help="Close the connection after writing the answer: conn.close() (with a raw socket "
                           "and os.fork(), the parent must close its copy too); with socketserver, return "
                           "from handle() and do not read again.")


CLIENTS = "BCDEFGHI"  # several_clients: more than a server "for testing" would serve before it stops


@check("serves several clients one after another", depends="answers_question", hidden=True, spec=4)
def several_clients(run):
    """Each client must get an answer, of any form (the form and the time are spec point 3's checks)."""
    server = start(run)
    for count, name in enumerate(CLIENTS):
        context = f" after {count} other clients" if count else ""
        client = connect(server, name, f"after serving {count} client{'s' if count != 1 else ''}",
                         SERVE_ON_HELP)
        reply, _ = ask(server, client)
        require_reply(server, client, reply, context)
        client.close()
    wait_idle(server)
    require_alive(server, f"after serving {len(CLIENTS)} clients", SERVE_ON_HELP)


@check("waits for the whole 25-byte question, in pieces, before answering", depends="answers_question",
       hidden=True, spec=2)
def waits_for_whole_question(run):
    """No answer before the last byte; then an answer of any form (its form and time: point 3)."""
    server = start(run)
    send_in_pieces(server, connect(server, "A"), [1, 24])


PIECES_HELP = ("One recv() is not one message: TCP may deliver the question in pieces, and the server must "
               "wait for all 25 bytes. Use self.rfile.read(25), or recv(25 - len(data)) in a loop until you "
               "have 25.")
OWN_BYTES_HELP = ("Count only this client's bytes, and all 25 of them: keep the question in a local variable "
                  "of the handler, not in a class attribute or global that every client shares (a client that "
                  "hung up leaves its bytes there), and read with self.rfile.read(25) or a recv() loop.")


def require_no_answer_yet(server: Server, client: Client, sent: int, context: str = "") -> None:
    """``client`` has sent ``sent`` bytes of the question: once the server has dealt with them,
    nothing may have come back and the connection must still be open."""
    early = nothing_yet(server, client)
    if not early and not client.peer_closed:
        return
    what = "answered" if early else "closed the connection"
    who = f"client {client.name}"
    when = f"after only {sent} of the 25 bytes of {who}'s question" if sent else f"before {who} asked"
    raise Failure(f"your server {what} {when}{context}",
                  expected=f"no answer until all 25 bytes are in (the client sent {sent})",
                  actual=show(early) + (", then the end of the stream" if client.peer_closed else ""),
                  help=PIECES_HELP if sent else "Read the whole question first, then write the answer.")


def send_in_pieces(server: Server, client: Client, cuts: list[int], context: str = "",
                   help: str = PIECES_HELP) -> None:
    """Send the question cut at byte offsets ``cuts``, each piece once the server has read the last;
    no answer may come before the last byte, and an answer (of any form: its form and its time are
    spec point 3's checks) must come after it."""
    require_no_answer_yet(server, client, 0, context)
    edges = [0, *cuts]
    for begin, end in zip(edges, edges[1:]):
        client.send(QUESTION[begin:end])
        try:
            require_no_answer_yet(server, client, end, context)
        except Failure as failure:
            failure.help = help
            raise
    reply, _ = ask(server, client, QUESTION[edges[-1]:])
    require_reply(server, client, reply, context=" (the last piece of the question)")


@check("answers with the time at which the question is complete", depends="several_clients", hidden=True,
       spec=3)
def time_when_asked(run):
    """The time in A's answer, read tolerantly (:func:`loose_time`: a newline or padding is
    answers_question's point, not this one's); skipped when the answers hold no date and time."""
    server = start(run)
    earliest = ctime_clock()
    before = connect(server, "B")
    reply, answered = ask(server, before)
    require_time(server, before, reply, earliest, answered)
    before.close()
    client = connect(server, "A")
    require_no_answer_yet(server, client, 0)  # and the server has dealt with the connection
    asked = next_second()  # A has connected; it asks only now
    reply, answered = ask(server, client)
    require_time(server, client, reply, asked, answered,
                   context=f" (it connected before {local_ctime(asked)} and asked after)",
                   stale="computed before the question arrived: when the server started, when A "
                         "connected, or for client B")


@check("survives a client that connects and sends nothing", depends="answers_question", hidden=True, spec=4)
def silent_client(run):
    """A must get an answer, of any form, after S (the form and the time are spec point 3's checks)."""
    server = start(run)
    silent = connect(server, "S")
    wait_idle(server, [silent])
    silent.close()
    wait_idle(server)
    ask_for_reply(server, "A", context=" after client S connected and hung up without a word")


@check("survives a client that hangs up in the middle of the question", depends="answers_question",
       hidden=True, spec=4)
def abrupt_client(run):
    """A must get an answer, of any form, after R's reset (the form and the time: point 3's checks)."""
    server = start(run)
    hang_up_midway(server)
    ask_for_reply(server, "A", context=" after client R sent 7 bytes and reset the connection")


def hang_up_midway(server: Server) -> None:
    """Client R sends 7 bytes of the question, then resets the connection; the server deals with it."""
    rude = connect(server, "R")
    rude.send(QUESTION[:7])
    wait_idle(server, [rude])
    rude.abort()
    wait_idle(server)


@check("reads each client's own 25 bytes, not bytes left by an earlier client", depends="abrupt_client",
       hidden=True, spec=2)
def question_per_client(run):
    """No answer before A's own 25th byte, then an answer of any form (its form and time: point 3)."""
    server = start(run)
    hang_up_midway(server)
    send_in_pieces(server, connect(server, "A"), [24],
                   context=" (client R had sent 7 bytes before it hung up)", help=OWN_BYTES_HELP)


# -- exploration: generated scenarios checked against the spec's model (issue 21) -------------------

@check("stays right in generated scenarios: clients that pause, hang up or reset at any moment, several "
       "at once and many in a row", depends="starts", hidden=True, spec=(2, 3, 4), timeout=180.0)
def explore(run):
    """Judged against the exact model (every reply exact), so a slip in the answer's form fails it
    too; it needs only that the server starts, and its failure names the spec point it saw broken.
    It does not depend on answers_question: it must reject the mutants of every point it declares."""
    from graders.checking.explore import check_by_exploring
    from graders.assignments.scenarios.clock import EXPLORER  # with the model: not in a course's student view
    check_by_exploring(run, ASSIGNMENT, EXPLORER)
