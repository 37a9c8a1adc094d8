"""Generated scenarios for the clock server (spec: solutions/clock/clock.ipynb), judged by ClockModel.

Dimensions (issue 21): the question whole or in up to four pieces, with pauses the spec
allows ("a second or two") before or between them, among them a wait for the clock's next
whole second (so a time taken too early shows); how a client leaves (it asks and reads the
answer, shuts down its sending side after the question, hangs up with a FIN or a reset
before or in the middle of it); rounds of one to three clients whose steps interleave in
any order; then up to eight more clients one after another (a server that stops after N);
then, in every scenario, a client whose question and reset reach a server held up (so that
the answer goes to a client gone: graders.sandbox.watch.hold) and one more client.
The environment is fixed: TZ=UTC+05:30 (the spec's point 3 is about local time).
"""
from __future__ import annotations

from hypothesis import strategies as st

from graders.checking.explore import TICK, Explorer, Scenario, Step, reset_while_held
from graders.assignments.models.clock import QUESTION, SERVER_ENV, TZ_OFFSET, ClockModel

PAUSES = (0.0, 0.0, 0.2, 1.0, TICK)  # seconds before a piece; TICK: until the next whole second
PAUSE_BUDGET = 2.5  # seconds of pauses per scenario at most (later pauses are dropped): the wall-time budget
LEAVES = ("ask", "fin_after", "reset_midway", "fin_midway", "silent_fin", "silent_reset")
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # more than a scenario can use


@st.composite
def client_plan(draw, name: str) -> list[Step]:
    """One client: it connects, sends the question in pieces with pauses, and leaves in one of LEAVES."""
    cuts = sorted(draw(st.sets(st.integers(1, len(QUESTION) - 1), max_size=3)))
    leave = draw(st.sampled_from(LEAVES))
    edges = [0, *cuts, len(QUESTION)]
    pieces = [QUESTION[a:b] for a, b in zip(edges, edges[1:])]
    if leave.startswith("silent"):
        pieces = []
    elif leave.endswith("midway"):
        if len(pieces) > 1:
            pieces = pieces[:draw(st.integers(0, len(pieces) - 1))]
        else:
            pieces = [QUESTION[:draw(st.integers(0, len(QUESTION) - 1))]]
        pieces = [p for p in pieces if p]
    steps = [Step.connect(name)]
    for piece in pieces:
        pause = draw(st.sampled_from(PAUSES))
        if pause:
            steps.append(Step.pause(pause))
        steps.append(Step.send(name, piece))
    if leave in ("fin_after", "fin_midway", "silent_fin"):
        steps.append(Step.fin(name))
    elif leave in ("reset_midway", "silent_reset"):
        steps.append(Step.reset(name))
    return steps


def interleave(draw, plans: list[list[Step]]) -> list[Step]:
    """The plans' steps in an order drawn step by step (shrinks to one client after another)."""
    steps = []
    plans = [list(plan) for plan in plans]
    while plans:
        index = draw(st.integers(0, len(plans) - 1))
        steps.append(plans[index].pop(0))
        if not plans[index]:
            plans.pop(index)
    return steps


def within_budget(steps: list[Step], budget: float) -> list[Step]:
    """``steps`` without the pauses past ``budget`` seconds in all (a TICK counts as 1 s)."""
    spent, kept = 0.0, []
    for step in steps:
        if step.kind == "pause":
            cost = 1.0 if step.seconds == TICK else step.seconds
            if spent + cost > budget:
                continue
            spent += cost
        kept.append(step)
    return kept


@st.composite
def scenarios(draw) -> Scenario:
    """Rounds of 1 to 3 clients whose steps interleave, then 0 to 8 clients one after another."""
    names = iter(NAMES)
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, 3))):
        plans = [draw(client_plan(next(names))) for _ in range(draw(st.integers(1, 3)))]
        steps += interleave(draw, plans)
    for _ in range(draw(st.integers(0, 8))):
        name = next(names)
        steps += [Step.connect(name), Step.send(name, QUESTION)]
    return Scenario(tuple(within_budget(steps, PAUSE_BUDGET) + reset_while_held(names, QUESTION, QUESTION)))



EXPLORER = Explorer(model=lambda scenario: ClockModel(TZ_OFFSET), scenarios=scenarios(), env=SERVER_ENV,
                    serve_point=4, examples=5, shrinks=6)
