"""Generated scenarios for the secret number server (spec: solutions/secret_number/secret_number.ipynb).

Judged by SecretNumberModel.  Dimensions (issue 21): SECRET_NUMBER spelled as int() takes
it (spaces around, a sign, zeros in front; 1 and 100); guesses of every class the spec
names, at every position on a connection (first, last, alone): the secret in several
spellings, wrong numbers (0, -5, 150, a long one, a thousands-digit one), lines that are
not whole numbers (empty, spaces, 4.5, 4 2, abc, bytes that are not UTF-8, a byte-order
mark, non-ASCII digits), ending in b"\\n" or b"\\r\\n"; several guesses in one piece or one
cut in pieces anywhere (inside a UTF-8 character too), with pauses; how a client leaves
(it stays connected, shuts down its sending side with or without a last unfinished line,
resets); rounds of one to three clients whose steps interleave; clients that stay
connected halfway through a line while others play; then, in every scenario, a guess and
a reset that reach a server held up, and one more client.
"""
from __future__ import annotations

from hypothesis import strategies as st

from graders.checking.explore import Explorer, Scenario, Step, reset_while_held
from graders.assignments.models.secret_number import SecretNumberModel
from graders.assignments.scenarios.clock import interleave, within_budget

SECRETS = ("37", " 37 ", "+37", "037", "\t37\n", "1", "100")
PAUSES = (0.0, 0.0, 0.0, 0.2, 1.0)
PAUSE_BUDGET = 1.0  # seconds of pauses per scenario at most
LEAVES = ("stay", "fin", "fin_unfinished", "reset", "stay_halfway")
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # more than a scenario can use


@st.composite
def guess(draw, secret: int) -> bytes:
    """One guess line's body (no line end), of one of the classes the spec names."""
    kind = draw(st.sampled_from(("secret", "secret", "wrong", "wrong", "invalid", "invalid", "odd")))
    if kind == "secret":
        return draw(st.sampled_from((str(secret), f"+{secret}", f"00{secret}", f" {secret}\t", f"\t{secret}  ")))\
            .encode()
    if kind == "wrong":
        return draw(st.sampled_from(("0", "-5", "150", "-0", str(secret + 1), "00", "-" + str(secret),
                                     "123456789012345678901234567890"))).encode()
    if kind == "invalid":
        return draw(st.sampled_from((b"", b"  ", b"abc", b"4.5", b"4 2", b"\xff\xfe", b"4\xc3", b"+",
                                     "\ufeff42".encode(), f"{secret}abc".encode(), b"\t")))
    return draw(st.sampled_from(("٣٧".encode(), b"4_2", "\u00a042".encode(), b"9" * 5000)))


@st.composite
def client_plan(draw, name: str, secret: int) -> list[Step]:
    """One client: it connects, sends 1 to 4 guesses cut in pieces with pauses, and leaves in one of LEAVES."""
    lines = [draw(guess(secret)) + draw(st.sampled_from((b"\n", b"\n", b"\r\n")))
             for _ in range(draw(st.integers(1, 4)))]
    data = b"".join(lines)
    leave = draw(st.sampled_from(LEAVES))
    if leave == "fin_unfinished":
        data = data[:-2] if data.endswith(b"\r\n") else data[:-1]
    elif leave == "stay_halfway":
        data += b"4"
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=3))) if len(data) > 1 else []
    edges = [0, *cuts, len(data)]
    steps = [Step.connect(name)]
    for a, b in zip(edges, edges[1:]):
        pause = draw(st.sampled_from(PAUSES))
        if pause:
            steps.append(Step.pause(pause))
        steps.append(Step.send(name, data[a:b]))
    if leave.startswith("fin"):
        steps.append(Step.fin(name))
    elif leave == "reset":
        steps.append(Step.reset(name))
    return steps


PROLOGUES = ("none", "connected_before_found", "bad_bytes", "pipelined")


def prologue(kind: str, names, secret: int) -> list[Step]:
    """A first round that stresses one dimension of the spec (drawn; "none" is what it shrinks to).

    connected_before_found: a client connected before another finds the secret guesses after (point 6);
    bad_bytes: bytes that are not UTF-8, then a number, on one connection (point 5); pipelined:
    three lines in one piece, the last unfinished, then a FIN (point 3).
    """
    if kind == "none":
        return []
    a, b = next(names), next(names)
    if kind == "connected_before_found":
        return [Step.connect(a), Step.connect(b), Step.send(b, f"{secret}\n".encode()),
                Step.send(a, f"{secret + 1}\n".encode())]
    if kind == "bad_bytes":
        return [Step.connect(a), Step.send(a, b"\xff\xfe\n"), Step.send(a, b"5\n")]
    return [Step.connect(a), Step.send(a, b"5\n-6\n 7"), Step.fin(a)]


@st.composite
def scenarios(draw) -> Scenario:
    """SECRET_NUMBER, a prologue, then 1 to 3 rounds of 1 to 3 clients whose steps interleave."""
    value = draw(st.sampled_from(SECRETS))
    secret = int(value)
    names = iter(NAMES)
    first = prologue(draw(st.sampled_from(PROLOGUES)), names, secret)
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, 3))):
        plans = [draw(client_plan(next(names), secret)) for _ in range(draw(st.integers(1, 3)))]
        steps += interleave(draw, plans)
    return Scenario(tuple(first + within_budget(steps, PAUSE_BUDGET)
                          + reset_while_held(names, f"{secret + 1}\n".encode(), f"{secret + 2}\n".encode())),
                    env={"SECRET_NUMBER": value})



def model(scenario: Scenario) -> SecretNumberModel:
    value = dict(scenario.env).get("SECRET_NUMBER", "37")
    return SecretNumberModel(int(value), value)


EXPLORER = Explorer(model=model, scenarios=scenarios(), serve_point=7, examples=6, shrinks=6)
