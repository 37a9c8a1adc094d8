"""Generated scenarios for the secret word web server (spec: solutions/secret_word/secret_word.ipynb).

Judged by SecretWordModel.  Dimensions (issue 21): SECRET_WORD values the checks never use
(spaces around, upper case, non-ASCII, HTML's special characters); guesses of every class
the spec names: the secret spelled as a browser sends it (percent-encoded, with %20 or
+), near misses (case, a space, a slash), bytes that are not UTF-8 (%FF), HTML to escape,
a target starting with //, /favicon.ico before and after the word was found; HTTP/1.0 or
HTTP/1.1 with Connection: close, with a header or two; each request cut in pieces anywhere
(inside %C3%A9, inside the final CRLF CRLF) with pauses; how a client leaves (it reads
the response, shuts down its sending side after the request, hangs up with a FIN or a
reset before or in the middle of it, or says nothing); rounds of one to three clients
whose steps interleave; then, in every scenario, a request and a reset that reach a server
held up, and one more request.
"""
from __future__ import annotations

from urllib.parse import quote

from hypothesis import strategies as st

from graders.checking.explore import Explorer, Scenario, Step, reset_while_held
from graders.assignments.models.secret_word import SecretWordModel
from graders.assignments.scenarios.clock import interleave, within_budget

SECRETS = ("apple", "Apple", " apple ", "café", "a+b c", "<b>&amp;", "ünïcödé")
PAUSES = (0.0, 0.0, 0.0, 0.2, 1.0)
PAUSE_BUDGET = 1.0  # seconds of pauses per scenario at most
LEAVES = ("read", "read", "read", "fin_after", "fin_midway", "reset_midway", "silent_fin", "silent_reset")
NAMES = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"  # more than a scenario can use


@st.composite
def target(draw, secret: str) -> str:
    """A request target: a guess (the secret or not, spelled in several ways) or /favicon.ico."""
    kind = draw(st.sampled_from(("secret", "secret", "miss", "miss", "odd", "odd", "favicon")))
    if kind == "favicon":
        return "/favicon.ico"
    if kind == "secret":
        return "/" + draw(st.sampled_from((quote(secret, safe=""), quote(secret, safe="+&<>"), quote(secret))))
    if kind == "miss":
        word = draw(st.sampled_from((secret.upper(), secret.strip() + " ", secret + "/", "x" + secret,
                                     secret.replace(" ", "+"), "banana")))
        return "/" + quote(word, safe="")
    return draw(st.sampled_from(("/%FF", "/%C3", "/%3Cscript%3E", "/a%2Fb", "//" + quote(secret, safe=""),
                                 "/%25", "/caf%C3%A9", "/%26amp%3B")))


@st.composite
def client_plan(draw, name: str, secret: str) -> list[Step]:
    """One client: it connects, sends one GET request in pieces with pauses, and leaves in one of LEAVES."""
    version = draw(st.sampled_from(("HTTP/1.0", "HTTP/1.1")))
    headers = "Host: localhost:8000\r\n"
    if version == "HTTP/1.1" or draw(st.booleans()):
        headers += "Connection: close\r\n"
    if draw(st.booleans()):
        headers += "User-Agent: explorer\r\nAccept: text/html\r\n"
    data = f"GET {draw(target(secret))} {version}\r\n{headers}\r\n".encode("ascii")
    leave = draw(st.sampled_from(LEAVES))
    cuts = sorted(draw(st.sets(st.integers(1, len(data) - 1), max_size=3)))
    edges = [0, *cuts, len(data)]
    pieces = [data[a:b] for a, b in zip(edges, edges[1:])]
    if leave.startswith("silent"):
        pieces = []
    elif leave.endswith("midway"):
        pieces = pieces[:-1] if len(pieces) > 1 else [data[:draw(st.integers(1, len(data) - 1))]]
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


PROLOGUES = ("none", "exactness", "encodings", "favicon")


def request(target: str) -> bytes:
    return f"GET {target} HTTP/1.0\r\nHost: localhost:8000\r\n\r\n".encode("ascii")


def prologue(kind: str, names, secret: str) -> list[Step]:
    """A first round that stresses one dimension of the spec (each drawn or not; not is what it shrinks
    to): one whole request per client, one client after another.

    exactness: near misses of the secret, then the secret (points 2, 3); encodings: words with bytes that
    are not UTF-8, non-ASCII letters, a '+' and characters HTML escapes (points 3, 4); favicon: the icon
    before and after the word is found (point 5).
    """
    targets = {
        "none": [],
        "exactness": ["/" + quote(secret.upper(), safe=""), "/" + quote(secret.lower(), safe=""),
                      "/" + quote(" " + secret, safe=""), "/" + quote(secret.strip(), safe=""),
                      "/" + quote(secret, safe="")],
        "encodings": ["/%FF", "/caf%C3%A9%20cr%C3%A8me", "/a+b%20c", "/%3Cb%3E%26amp%3B%22%27"],
        "favicon": ["/favicon.ico", "/" + quote(secret, safe=""), "/favicon.ico"],
    }[kind]
    steps = []
    for target in targets:
        name = next(names)
        steps += [Step.connect(name), Step.send(name, request(target))]
    return steps


@st.composite
def scenarios(draw) -> Scenario:
    """SECRET_WORD, a prologue, then 1 to 4 rounds of 1 to 3 clients whose steps interleave."""
    secret = draw(st.sampled_from(SECRETS))
    names = iter(NAMES)
    first = [step for kind in PROLOGUES[1:] if draw(st.booleans()) for step in prologue(kind, names, secret)]
    steps: list[Step] = []
    for _ in range(draw(st.integers(1, 4))):
        plans = [draw(client_plan(next(names), secret)) for _ in range(draw(st.integers(1, 3)))]
        steps += interleave(draw, plans)
    return Scenario(tuple(first + within_budget(steps, PAUSE_BUDGET)
                          # both ask a miss: whether a server takes a request whose client is gone is not graded
                          + reset_while_held(names, request("/banana"), request("/banana"))),
                    env={"SECRET_WORD": secret})



def model(scenario: Scenario) -> SecretWordModel:
    return SecretWordModel(dict(scenario.env).get("SECRET_WORD", "apple"))


EXPLORER = Explorer(model=model, scenarios=scenarios(), serve_point=1, examples=6, shrinks=6)
