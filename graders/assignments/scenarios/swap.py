"""Generated scenarios for the swap server (spec: solutions/swap/swap.ipynb), judged by SwapModel.

Dimensions (issue 21): lines of every byte class the spec names, at every position (empty,
spaces and tabs around, b"\\r", "\\x0c", "\\x85", U+2028, a byte-order mark, multi-byte and
4-byte characters, a long line), cut in up to three pieces anywhere (inside a character too)
with pauses between them; how a client leaves (it waits for its partner; it shuts down its
sending side or resets after its line, while it waits; it hangs up with a FIN or a reset
before its line or in the middle of it); rounds of one to four clients whose steps
interleave in any order (so lines arrive in another order than connections), with up to
five silent clients connected all along (a pool of threads they exhaust); then up to three
pairs one after another; then, in every scenario, a waiting client that resets just as a
partner's line arrives, while the server is held up, and two more lines.  No environment
variable: the spec reads none.
"""
from __future__ import annotations

from hypothesis import strategies as st

from graders.checking.explore import Explorer, Scenario, Step
from graders.assignments.models.swap import SwapModel
from graders.assignments.scenarios.clock import interleave, within_budget

ATOMS = ("a", "Z", " ", "\t", "\r", "\x0c", "\x85", "\u2028", "é", "€", "😀", "\ufeff", "0", "-")
LONG = 20_000  # characters of a long line
PAUSES = (0.0, 0.0, 0.0, 0.2, 2.0)  # 2 s: a lone client waits longer than any scripted check makes it
PAUSE_BUDGET = 2.0  # seconds of pauses per scenario at most
LEAVES = ("wait", "wait", "fin_waiting", "reset_waiting", "silent_fin", "silent_reset", "fin_midway",
          "reset_midway")
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # more than a scenario can use


@st.composite
def texts(draw) -> str:
    """A string of the byte classes the spec names (maybe empty, maybe long)."""
    if draw(st.integers(0, 9)) == 9:
        return draw(st.sampled_from(("x", "é", "😀"))) * LONG
    return "".join(draw(st.lists(st.sampled_from(ATOMS), max_size=6)))


@st.composite
def client_plan(draw, name: str) -> list[Step]:
    """One client: it connects, sends its line in pieces with pauses, and leaves in one of LEAVES."""
    data = draw(texts()).encode("utf-8") + b"\n"
    leave = draw(st.sampled_from(LEAVES))
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=2))) if len(data) > 1 else []
    edges = [0, *cuts, len(data)]
    pieces = [data[a:b] for a, b in zip(edges, edges[1:])]
    if leave.startswith("silent"):
        pieces = []
    elif leave.endswith("midway"):
        pieces = pieces[:-1] if len(pieces) > 1 else [data[:-1]]
        pieces = [p for p in pieces if p]
    steps = [Step.connect(name)]
    for piece in pieces:
        pause = draw(st.sampled_from(PAUSES))
        if pause:
            steps.append(Step.pause(pause))
        steps.append(Step.send(name, piece))
    if leave in ("fin_waiting", "silent_fin", "fin_midway"):
        steps.append(Step.fin(name))
    elif leave in ("reset_waiting", "silent_reset", "reset_midway"):
        steps.append(Step.reset(name))
    return steps


PROLOGUES = ("none", "ghost_reset", "ghost_fin", "lone_wait", "separators")


def prologue(kind: str, names) -> list[Step]:
    """A first round that stresses one dimension of the spec (drawn; "none" is what it shrinks to).

    ghost_*: a client hangs up while it waits, then two lines arrive (point 6); lone_wait: a lone
    client waits 1.5 s, longer than the scripted checks make it (point 3); separators: a pair whose
    lines hold b"\r", NEL and U+2028 inside (point 2).
    """
    if kind == "none":
        return []
    if kind == "separators":
        a, b = next(names), next(names)
        return [Step.connect(a), Step.connect(b), Step.send(a, "a\rb\x0cc\n".encode()),
                Step.send(b, "d\x85e\u2028f\n".encode())]
    a, b, c = next(names), next(names), next(names)
    steps = [Step.connect(a), Step.send(a, b"first\n")]
    if kind == "lone_wait":
        return steps + [Step.pause(1.5), Step.connect(b), Step.send(b, b"second\n")]
    steps.append(Step.reset(a) if kind == "ghost_reset" else Step.fin(a))
    return steps + [Step.connect(b), Step.connect(c), Step.send(b, b"second\n"), Step.send(c, b"third\n")]


@st.composite
def scenarios(draw) -> Scenario:
    """A prologue, 0 to 5 silent clients that stay, rounds of 1 to 4 clients whose steps interleave, then 0 to
    3 pairs one after another."""
    names = iter(NAMES)
    steps: list[Step] = []
    first = prologue(draw(st.sampled_from(PROLOGUES)), names)
    for _ in range(draw(st.integers(0, 5))):  # silent clients that stay connected all along
        steps.append(Step.connect(next(names)))
    for _ in range(draw(st.integers(1, 3))):
        plans = [draw(client_plan(next(names))) for _ in range(draw(st.integers(1, 4)))]
        steps += interleave(draw, plans)
    for _ in range(draw(st.integers(0, 3))):
        a, b = next(names), next(names)
        steps += [Step.connect(a), Step.connect(b), Step.send(a, b"left\n"), Step.send(b, b"right\n")]
    return Scenario(tuple(first + within_budget(steps, PAUSE_BUDGET) + ghost_held(names)))


def ghost_held(names) -> list[Step]:
    """The epilogue of every scenario (drawn from nothing, so the drawn part is what it was without it):
    a client waits; a second client's line and the first one's reset reach a server held up
    (graders.sandbox.watch.hold), so the server may send the line to a client gone (point 6); then
    two more lines."""
    a, b, c, d = (next(names) for _ in range(4))
    return [Step.connect(a), Step.send(a, b"first\n"), Step.connect(b),
            Step.held(Step.send(b, b"second\n"), Step.reset(a)),
            Step.connect(c), Step.send(c, b"third\n"), Step.connect(d), Step.send(d, b"fourth\n")]


EXPLORER = Explorer(model=lambda scenario: SwapModel(), scenarios=scenarios(), serve_point=5,
                    examples=5, shrinks=6)
