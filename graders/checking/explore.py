"""The scenario explorer: generated client choreographies, each history checked against the spec's model.

A scripted check tests the one choreography its author thought of.  The
explorer lets Hypothesis (its strategies and its shrinking) generate many:
how a client leaves (FIN or reset, before, in the middle of or after its
request), pauses of the length the spec allows, how many clients at once and
one after another, the order their steps interleave in, the bytes they send.
Each scenario is run against the student's real server in its sandbox
(graders.checking.harness), and after every step the history is judged by the
assignment's executable model of its spec (graders.assignments.models), plus
the invariants every scenario shares: the server never exits and keeps
accepting, every reply is exact, nothing comes before a request is complete,
every connection is closed promptly after its last reply.

The API, for an assignment module (clock: graders/assignments/clock.py and scenarios/clock.py)::

    from graders.checking.explore import Explorer, Scenario, Step, check_by_exploring

    @st.composite
    def scenarios(draw) -> Scenario:        # a Hypothesis strategy of Scenario
        return Scenario([Step.connect("A"), Step.send("A", b"..."), Step.pause(0.5),
                         Step.fin("A"), ...], env={"VAR": "value"})

    EXPLORER = Explorer(
        model=lambda scenario: MyModel(...),   # a fresh graders.assignments.models Model per scenario
        scenarios=scenarios(),
        env={"TZ": ...},                        # the server's environment (a scenario's env adds to it)
        serve_point=4,                          # the spec point "goes on serving" (exits, refuses clients)
        examples=5, shrinks=6)                  # the autograde budget (scenarios; shrinking runs)

    # in graders/assignments/NAME.py: a hidden check, so a course's student view leaves it out
    @check("stays right in generated scenarios", depends="starts", hidden=True, spec=(2, 3, 4))
    def explore(run):
        from graders.assignments.scenarios.NAME import EXPLORER
        check_by_exploring(run, ASSIGNMENT, EXPLORER)

The strategies and the Explorer live in graders/assignments/scenarios/NAME.py, the model
in graders/assignments/models/NAME.py (pure: no I/O, no Hypothesis; see graders/checking/model.py for
the Model API: connect/send/fin/reset/received in, waiting/due/judge out).

* A :class:`Scenario` is a list of :class:`Step` s: ``connect``, ``send`` (a
  piece of bytes), ``pause`` (seconds, or :data:`TICK`: until the clock's next
  whole second), ``fin`` (shut down the sending side: a clean hang-up),
  ``reset`` (close with SO_LINGER 0: a reset), ``held`` (sends, FINs and
  resets done while the server is held up, its processes frozen:
  graders.sandbox.watch.hold; so a reset can reach it before it replies to
  the request that came just before, as on a loaded machine).  Each scenario runs against a
  fresh server, so a counterexample is a whole history from the server's start
  and replays the same.
* After every step that gives the server input, the explorer waits until the
  server is idle (graders.sandbox.watch: every byte read, every thread asleep; never a
  fixed window), reads whatever each connection got (without blocking), tells
  the model, and asks :meth:`Model.judge` (``idle=True``); for a connection
  the model says something is :meth:`Model.due` on, it first waits for it
  with the harness's patience (while the server is busy, up to
  graders.watch.PATIENCE more seconds).  The first :class:`Violation` ends
  the scenario.
* :func:`explore` runs ``hypothesis.find`` over the scenarios: ``examples``
  scenarios at most, then up to ``shrinks`` runs to shrink the first failing
  one to a minimal scenario.  The seed is derived from the assignment's name
  and the SHA-256 of the submission, ``database=None``: the same submission
  gets the same scenarios, the same verdict and the same counterexample.
* A failure becomes a :class:`~graders.checks.Failure` whose ``spec`` names the
  point broken, with the minimal scenario's transcript (the sequence diagram
  of the feedback) and the model's hint about the bug seen.

Budget (autograde, this 2-core machine): ``benchmarks/explore.py`` prints
the wall time and CPU per submission; ``python -m graders check A FILE
--explore N`` runs N times the autograde budget (``GRADERS_EXPLORE_SCALE``).
"""
from __future__ import annotations

import calendar
import contextlib
import hashlib
import os
import random
import selectors
import socket
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import tempfile

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import HypothesisException, NoSuchExample

from graders.checking.model import Model, Violation
from graders.checking.checks import Assignment, Failure
from graders.checking.harness import Client, Server, Transcript, show
from graders.sandbox import watch

# Hypothesis warns when it writes the repr of a scenario with a long line: nobody reads it here.
warnings.filterwarnings("ignore", message="Generating overly large repr", module="hypothesis")
# Hypothesis keeps files (a cache of the constants it finds in source files) in ./.hypothesis, even
# with no example database: a grading runs in the course directory, which must stay as it was.
set_hypothesis_home_dir(os.environ.get("GRADERS_HYPOTHESIS_DIR")
                        or os.path.join(tempfile.gettempdir(), f"graders-hypothesis-{os.getuid()}"))

TICK = -1.0  # a pause until the clock's next whole second (time.ctime()'s resolution)
IDLE_TIMEOUT = 5.0  # seconds to wait for the server to settle after a step
REPLY_TIMEOUT = 3.0  # seconds a due reply may take (more while the server is busy: watch.PATIENCE)
SHRINK_REPLY_TIMEOUT = 1.0  # the same while shrinking a failure already found (the verdict is known)
DEBUG = os.environ.get("GRADERS_EXPLORE_DEBUG") == "1"  # one line per scenario run, on stderr
QUIET_WINDOW = 0.5  # seconds of silence that stand in for idleness where it cannot be seen
UNREAD_GRACE = 1.0  # seconds a server gets to read every byte before "asleep" is idle enough


@dataclass(frozen=True)
class Step:
    """One thing a client does (or time passing)."""

    kind: str  # connect, send, pause, fin, reset, held
    client: str = ""
    data: bytes = b""
    seconds: float = 0.0
    steps: tuple["Step", ...] = ()  # held: the sends, FINs and resets done while the server is held up

    @staticmethod
    def connect(client: str) -> "Step":
        return Step("connect", client)

    @staticmethod
    def send(client: str, data: bytes) -> "Step":
        return Step("send", client, data)

    @staticmethod
    def pause(seconds: float) -> "Step":
        return Step("pause", seconds=seconds)

    @staticmethod
    def fin(client: str) -> "Step":
        return Step("fin", client)

    @staticmethod
    def reset(client: str) -> "Step":
        return Step("reset", client)

    @staticmethod
    def held(*steps: "Step") -> "Step":
        """``steps`` (send, fin, reset) done while the server is held up (graders.sandbox.watch.hold):
        it finds them all at once when it runs again, in the order they were done.

        The model hears of them at once too, and may take them in another order: first the
        FINs and resets of clients that send nothing in the group (a server may see a hang-up
        before another client's bytes), then the rest in order.
        """
        return Step("held", steps=tuple(steps))

    def describe(self) -> str:
        if self.kind == "held":
            return ("while the server is held up (not running): "
                    + "; ".join(step.describe() for step in self.steps) + "; then it runs again")
        if self.kind == "pause":
            return "pause until the next whole second" if self.seconds == TICK else f"pause {self.seconds:g} s"
        if self.kind == "send":
            return f"{self.client} sends {show(self.data, 60)}"
        return {"connect": "{} connects", "fin": "{} shuts down its sending side (FIN)",
                "reset": "{} resets the connection"}[self.kind].format(self.client)


def reset_while_held(names, request: bytes, then: bytes) -> list[Step]:
    """An epilogue for a scenario (it draws nothing, so the drawn part stays what it was without it):
    a client's whole ``request`` and its reset reach a server held up (graders.sandbox.watch.hold), so
    the reply goes to a client gone; then the next client sends ``then`` (the server must go on).
    ``names``: the scenario's iterator of client names."""
    gone, last = next(names), next(names)
    return [Step.connect(gone), Step.held(Step.send(gone, request), Step.reset(gone)),
            Step.connect(last), Step.send(last, then)]


@dataclass(frozen=True)
class Scenario:
    """A client choreography: steps in order, and environment variables for the server."""

    steps: tuple[Step, ...]
    env: tuple[tuple[str, str], ...] = ()  # (name, value) pairs; a dict is taken too

    def __post_init__(self) -> None:  # hashable: explore() remembers each scenario's verdict
        object.__setattr__(self, "steps", tuple(self.steps))
        env = self.env.items() if isinstance(self.env, dict) else self.env
        object.__setattr__(self, "env", tuple((str(k), str(v)) for k, v in env))

    def describe(self) -> list[str]:
        head = [f"environment: {k}={v!r}" for k, v in self.env]
        return head + [step.describe() for step in self.steps]

    @property
    def clients(self) -> int:
        return sum(step.kind == "connect" for step in self.steps)


@dataclass
class Explorer:
    """How to explore one assignment (see the module docstring)."""

    model: Callable[[Scenario], Model]
    scenarios: st.SearchStrategy
    env: dict[str, str] = field(default_factory=dict)
    serve_point: int = 1
    examples: int = 4  # scenarios per grading at autograde
    shrinks: int = 6  # runs spent shrinking a failing scenario (each costs a sandbox and its steps)
    wall: float = 7.0  # seconds: past this no shrinking run starts (generation goes on: the verdict stays)
    # Seconds past which no new scenario starts: a server so slow that a few scenarios take this long
    # (one that prints without pause is never idle, and every step waits its full time) is judged on
    # the scenarios that ran.  A normal submission's scenarios take 3-8 s: only such a server is cut.
    generation_wall: float = 20.0
    idle: Callable | None = None  # wait_idle(server, clients, timeout) -> bool; default graders.watch.wait_idle


@dataclass
class Outcome:
    """What one exploration found."""

    seed: int
    runs: int = 0  # scenarios run (generation and shrinking)
    generated: int = 0  # scenarios run before the first failure (or all of them)
    violation: Violation | None = None
    scenario: Scenario | None = None
    transcript: Transcript | None = None
    server_output: str = ""
    seconds: float = 0.0
    cut: bool = False  # generation stopped at Explorer.generation_wall (a very slow server)


# -- running one scenario ---------------------------------------------------------------------------

def coarse_now() -> float:
    """Seconds since the epoch as C's ``time(NULL)`` (and so ``time.ctime()``) sees them: the coarse clock."""
    try:
        return time.clock_gettime(time.CLOCK_REALTIME_COARSE)
    except (AttributeError, OSError):
        return float(calendar.timegm(time.gmtime()))


def next_second() -> None:
    """Wait (1 s at most) until the coarse clock reaches its next whole second."""
    boundary = int(coarse_now()) + 1
    while (left := boundary - time.time()) > 0:
        time.sleep(left)  # time itself must pass: the spec's clock has whole seconds
    while coarse_now() < boundary:
        time.sleep(0.001)


def drain(client: Client) -> tuple[bytes, bool]:
    """What ``client``'s socket holds now, without waiting: (bytes, the server closed or reset)."""
    if client.sock is None or client.peer_closed:
        return b"", client.peer_closed
    got = bytearray()
    while True:
        try:
            chunk = client.sock.recv(65536, socket.MSG_DONTWAIT)
        except BlockingIOError:
            break
        except OSError as exc:
            client._log(f"connection reset by the server ({exc.strerror or exc})")
            client.peer_closed = True
            break
        if not chunk:
            client.peer_closed = True
            break
        got += chunk
    data = bytes(got)
    if data:
        client.received += data
        client._log(f"receives {show(data)}", data=data)
    if client.peer_closed:
        client._log("sees the server close the connection")
    return data, client.peer_closed


class Runner:
    """One scenario against one fresh server: the history and the model's verdict."""

    def __init__(self, explorer: Explorer, path, port: int | None, scenario: Scenario,
                 memo: dict | None = None) -> None:
        self.explorer = explorer
        self.memo = memo if memo is not None else {}  # what earlier runs of the exploration learnt
        self.path = path
        self.port = port
        self.scenario = scenario
        self.transcript = Transcript()
        self.model = explorer.model(scenario)
        self.clients: dict[str, Client] = {}
        self.closed_seen: set[str] = set()
        self.server: Server | None = None
        self.done = 0  # steps taken
        self.reply_timeout = REPLY_TIMEOUT

    def wait_idle(self, clients) -> bool:
        """Wait until the server has done all it will with what ``clients`` sent (graders.sandbox.watch).

        First as graders.watch.wait_idle sees it: every byte read, every byte delivered, every
        thread asleep.  A server that leaves bytes unread for good (it read what it wanted)
        never gets there: after :data:`UNREAD_GRACE` seconds, asleep with every byte it wrote
        delivered is idle too, and later calls of the exploration go that way at once.  A
        server never asleep (it spins, or floods its output) gets :data:`QUIET_WINDOW`
        seconds instead (``self.memo`` holds what earlier runs learnt).
        """
        if self.explorer.idle is not None:
            return bool(self.explorer.idle(self.server, list(clients), IDLE_TIMEOUT))
        if self.memo.get("restless"):
            return watch.wait_idle(self.server, list(clients), timeout=QUIET_WINDOW)
        if not self.memo.get("leaves_unread") and watch.wait_idle(self.server, list(clients),
                                                                   timeout=UNREAD_GRACE):
            return True
        if asleep(self.server, list(clients), timeout=IDLE_TIMEOUT - UNREAD_GRACE):
            self.memo["leaves_unread"] = True
            return True
        if watch.server_pids(self.server):  # seen, and never asleep: not just unseeable
            self.memo["restless"] = True
        return False

    def run(self) -> Violation | None:
        env = dict(self.explorer.env)
        env.update(dict(self.scenario.env))
        self.server = Server(self.path, self.transcript, env=env)
        try:
            self.server.start(port=self.port)
            for step in self.scenario.steps:
                self.done += 1
                began = time.monotonic()
                violation = self.step(step)
                if violation is None and step.kind != "pause":
                    violation = self.settle()
                if DEBUG and time.monotonic() - began > 0.5 and step.kind != "pause":
                    print(f"explore:   slow step ({time.monotonic() - began:.2f} s): {step.describe()}",
                          file=sys.stderr)
                if violation is not None:
                    return self.exited() or violation
            return self.exited() or self.finish()
        finally:
            self.output = self.server.output()
            self.server.close()

    # -- the steps

    def step(self, step: Step) -> Violation | None:
        now = coarse_now()
        if step.kind == "pause":
            if step.seconds == TICK:
                next_second()
                self.transcript.add("grader", "waited for the clock's next whole second")
            else:
                time.sleep(step.seconds)  # the spec allows a client to pause this long
                self.transcript.add("grader", f"paused {step.seconds:g} s")
            return None
        if step.kind == "held":
            return self.held(step, now)
        if step.kind == "connect":
            client = Client(self.server, step.client)
            self.server.clients.append(client)
            try:
                client.connect()
            except Failure:
                return self.stopped(f"when client {step.client} connected (after "
                                    f"{len(self.clients)} other client{'s' * (len(self.clients) != 1)})")
            self.clients[step.client] = client
            self.model.connect(step.client, now)
            return None
        client = self.clients[step.client]
        if step.kind == "send":
            if client.peer_closed or client.sock is None:
                return None  # the server closed it: the model has judged that already
            try:
                client.send(step.data)
            except Failure:
                client.peer_closed = True  # it closed or reset the connection; the model judges it
                self.model.received(step.client, b"", True, time.time())
                return self.model.judge(step.client, idle=False)
            self.model.send(step.client, step.data, now)
        elif step.kind == "fin":
            if client.sock is not None:
                try:
                    client.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                client._log("shuts down its sending side (FIN)")
            self.model.fin(step.client, now)
        elif step.kind == "reset":
            client.abort()
            self.model.reset(step.client, now)
        return None

    def held(self, step: Step, now: float) -> Violation | None:
        """Do ``step.steps`` while the server is held up; then tell the model (see :meth:`Step.held`)."""
        done, refused = [], None
        with watch.hold(self.server) as frozen:
            self.transcript.add("grader", "holds the server up (its processes frozen)" if frozen else
                                "cannot hold the server up here: the steps run as usual")
            for inner in step.steps:
                client = self.clients[inner.client]
                if client.sock is None or inner.kind == "send" and client.peer_closed:
                    continue
                if inner.kind == "send":
                    try:
                        client.send(inner.data)
                    except Failure:
                        client.peer_closed, refused = True, inner.client
                        continue
                elif inner.kind == "fin":
                    with contextlib.suppress(OSError):
                        client.sock.shutdown(socket.SHUT_WR)
                    client._log("shuts down its sending side (FIN)")
                elif inner.kind == "reset":
                    client.abort()
                done.append(inner)
        if frozen:
            self.transcript.add("grader", "lets the server run again")
        senders = {inner.client for inner in done if inner.kind == "send"}
        first = [inner for inner in done if inner.kind != "send" and inner.client not in senders]
        for inner in first + [inner for inner in done if inner not in first]:
            if inner.kind == "send":
                self.model.send(inner.client, inner.data, now)
            elif inner.kind == "fin":
                self.model.fin(inner.client, now)
            else:
                self.model.reset(inner.client, now)
        if refused is not None:
            self.model.received(refused, b"", True, time.time())
            return self.model.judge(refused, idle=False)
        return None

    def live(self) -> list[tuple[str, Client]]:
        return [(name, c) for name, c in self.clients.items() if c.sock is not None]

    def served(self) -> list[Client]:
        """The open connections the server must be reading now (not those the spec lets it leave queued)."""
        # Not those that shut down their sending side either: their FIN counts as a byte of the
        # server's receive queue until the server reads the end of the stream, which it need not do.
        return [c for name, c in self.live()
                if not self.model.waiting(name) and not self.model.connections[name].fin]

    def look(self) -> None:
        """Tell the model what every connection got since the last look."""
        for name, client in self.live():
            if name in self.closed_seen:
                continue
            data, closed = drain(client)
            if data or closed:
                self.model.received(name, data, closed, time.time())
            if closed:
                self.closed_seen.add(name)

    def wait_due(self) -> None:
        """Wait, patiently, for what the model says the server still owes a connection."""
        for name, client in self.live():
            deadline = time.monotonic() + self.reply_timeout
            last_chance = deadline + watch.PATIENCE
            while self.model.due(name) and name not in self.closed_seen:
                now = time.monotonic()
                if now >= deadline:
                    if now < last_chance and watch.busy(self.server):
                        deadline = now + watch.BUSY_LOOK
                        continue
                    break
                with selectors.DefaultSelector() as sel:
                    sel.register(client.sock, selectors.EVENT_READ)
                    sel.select(min(deadline - now, 0.05))
                self.look()

    def settle(self) -> Violation | None:
        """After a step: let the server do all it will, then judge every connection."""
        idle = self.wait_idle(self.served())
        self.look()
        self.wait_due()
        if not idle:
            idle = self.wait_idle(self.served())
            if not idle:
                time.sleep(QUIET_WINDOW)  # a server that never rests: a window of silence instead
            self.look()
        for name in self.clients:
            violation = self.model.judge(name, idle=True)
            if violation is not None:
                return violation
        if not self.server.alive():
            return self.stopped("")
        return None

    def finish(self) -> Violation | None:
        violation = self.settle()
        if violation is not None:
            return violation
        if not self.server.alive():
            return self.stopped(f"after {len(self.clients)} clients")
        return None

    def exited(self) -> Violation | None:
        """The server's exit, when it has exited: the cause of whatever else went wrong."""
        if self.server.alive() and watch.server_pids(self.server):
            return None
        if self.server.sandbox.wait_exit(0.5) is None:
            return None
        return self.stopped(f"after {len(self.clients)} client{'s' * (len(self.clients) != 1)} connected")

    def serve_point(self) -> int:
        """The spec point "goes on serving": the model's (``stop_point()``, from the history) or the explorer's."""
        stop_point = getattr(self.model, "stop_point", None)
        return stop_point() if stop_point else self.explorer.serve_point

    def stopped(self, context: str) -> Violation:
        """The server exited or stopped accepting: a violation of the spec's "goes on serving" point."""
        from graders.checking.harness import crash_help
        code = self.server.sandbox.wait_exit(1.0) if not watch.server_pids(self.server) else None
        if code is None and not self.server.alive():
            code = self.server.sandbox.exit_code
        if code is not None:
            how = "ended by itself (exit status 0)" if code == 0 else f"stopped (exit status {code})"
            return Violation(self.serve_point(), f"your server {how} {context}".rstrip(),
                             help="Serve every client for ever: a client that hangs up (FIN or reset) at any "
                                  "moment must not stop the server (catch its error, then continue, not "
                                  "break).\n" + crash_help(self.server.output(settle=0.5)))
        return Violation(self.serve_point(), f"your server did not accept a connection {context}".rstrip(),
                         help="Keep accepting: every client gets served, whatever the earlier ones did "
                              "(is your server stuck with an earlier client?).")


def delivered(server: Server, clients) -> bool:
    """Every byte the server wrote to ``clients`` has reached them (its unread input does not matter)."""
    for client in clients:
        port = watch._port(client)
        if port is None:
            continue
        for row in (watch.connection_end(server, port, server_side=False), watch.connection_end(server, port)):
            if row is not None and row.state not in watch.GONE_STATES and row.tx:
                return False
    return True


def asleep(server: Server, clients, *, timeout: float) -> bool:
    """Wait until every thread of the server sleeps, unchanged across two looks, with every byte it
    wrote to ``clients`` delivered (graders.watch.wait_idle without "every byte read")."""
    if watch.netns_pid(server) is None or watch.server_pids(server) is None:
        return False
    deadline = time.monotonic() + timeout
    pauses = watch.backoff()
    while True:
        pids = watch.server_pids(server)
        if pids is None:
            return False
        throttled = watch.output_throttled(server)
        before = watch.threads(pids, output_throttled=throttled)
        if before is not None:
            time.sleep(0.005)  # long enough for a thread woken by the last bytes to show it runs
            if delivered(server, clients) and watch.threads(pids, output_throttled=throttled) == before \
                    and watch.server_pids(server) == pids:
                return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(next(pauses))


# -- the search ------------------------------------------------------------------------------------

class _Enough(BaseException):
    """Raised through Hypothesis (which catches Exception) to end the shrinking when its budget is spent."""


def seed_of(assignment: str, source: bytes) -> int:
    """The exploration's seed: from the assignment's name and the SHA-256 of the submission."""
    digest = hashlib.sha256(assignment.encode() + b"\0" + hashlib.sha256(source).digest()).digest()
    return int.from_bytes(digest[:8], "big")


def explore(assignment: Assignment, explorer: Explorer, path, *, scale: int = 1,
            cancelled: threading.Event | None = None) -> Outcome:
    """Run up to ``explorer.examples * scale`` scenarios on the server file ``path``; shrink a failure.

    Returns the :class:`Outcome`: its ``violation`` is None when every scenario passed.
    """
    from pathlib import Path
    source = Path(path).read_bytes()
    outcome = Outcome(seed_of(assignment.name, source))
    began = time.monotonic()
    budget = {"shrinks": explorer.shrinks * scale}

    memo: dict = {}  # shared by the runs (graders.checking.explore.Runner.wait_idle)
    seen: dict[Scenario, bool | Exception] = {}  # Hypothesis replays examples: the same verdict each time

    def fails(scenario: Scenario) -> bool:
        if scenario not in seen:
            try:
                seen[scenario] = judge(scenario)
            except Exception as exc:  # noqa: BLE001 - the grader's own trouble: raised again on a replay
                seen[scenario] = exc
        found = seen[scenario]
        if isinstance(found, Exception):
            raise found
        return found

    def judge(scenario: Scenario) -> bool:
        if cancelled is not None and cancelled.is_set():
            return False
        if outcome.violation is None and outcome.runs and time.monotonic() - began > explorer.generation_wall * scale:
            outcome.cut = True
            raise _Enough()  # no new scenario (see Explorer.generation_wall): the ones that ran passed
        if outcome.violation is not None:
            if budget["shrinks"] <= 0 or time.monotonic() - began > explorer.wall * scale:
                # Shrinking is over: the smallest failure found so far stands.  Returning False would
                # let Hypothesis try its other shrink candidates (CPU seconds of drawing); this ends find().
                raise _Enough()
            budget["shrinks"] -= 1
        runner = Runner(explorer, path, assignment.port, scenario, memo)
        if outcome.violation is not None:
            runner.reply_timeout = SHRINK_REPLY_TIMEOUT
        started = time.monotonic()
        violation = runner.run()
        if DEBUG:
            print(f"explore: run {outcome.runs + 1}: {len(scenario.steps)} steps, {scenario.clients} clients, "
                  f"{time.monotonic() - started:.2f} s, {'FAILS: ' + violation.rationale if violation else 'ok'}",
                  file=sys.stderr)
        outcome.runs += 1
        if outcome.violation is None:
            outcome.generated += 1
        if violation is None:
            return False
        outcome.violation = violation
        outcome.scenario = Scenario(scenario.steps[:runner.done], scenario.env)  # the steps after it never ran
        outcome.transcript, outcome.server_output = runner.transcript, runner.output
        return True

    config = settings(max_examples=explorer.examples * scale, database=None, deadline=None,
                      suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink),
                      verbosity=Verbosity.quiet, report_multiple_bugs=False)
    try:
        find(explorer.scenarios, fails, settings=config, random=random.Random(outcome.seed))
    except (NoSuchExample, _Enough):
        pass
    except HypothesisException:
        if outcome.violation is None:  # a failure Hypothesis could not replay is still the failure seen
            raise
    outcome.seconds = time.monotonic() - began
    return outcome


def check_by_exploring(run, assignment: Assignment, explorer: Explorer) -> None:
    """The body of an assignment's ``explore`` check: explore, and raise the Failure of what was found.

    ``GRADERS_EXPLORE_SCALE=N`` (``graders check --explore N``) explores N times the budget.
    """
    scale = max(1, int(os.environ.get("GRADERS_EXPLORE_SCALE", "1") or 1))
    outcome = explore(assignment, explorer, run.path, scale=scale, cancelled=run.cancelled)
    if outcome.violation is None:
        run.transcript.add("grader", f"{outcome.runs} generated scenario{'s' * (outcome.runs != 1)}: "
                                     "every history is one the spec allows"
                                     + (f" (no more: your server took over {explorer.generation_wall * scale:g} s "
                                        "for them)" if outcome.cut else ""))
        return
    fail(run, assignment, outcome)


def fail(run, assignment: Assignment, outcome: Outcome) -> None:
    """Raise the Failure of ``outcome``: its spec point, the minimal scenario's transcript, the hint."""
    violation, scenario = outcome.violation, outcome.scenario
    run.transcript.start = outcome.transcript.start
    run.transcript.lines[:] = outcome.transcript.lines
    steps = "; ".join(step.describe() for step in scenario.steps)
    failure = Failure(
        f"{violation.rationale} (spec point {violation.point}: {assignment.spec.get(violation.point, '')}). "
        f"The smallest scenario found: {steps}",
        help=violation.help, expected=violation.expected, actual=violation.actual)
    failure.spec = (violation.point,)
    failure.server_output = outcome.server_output
    raise failure
