"""The spec models alone (graders.assignments.models): pure, so these run in milliseconds.

Each test feeds a model a history (what the clients did, what the server sent) and checks
its verdict and the spec point it names; tests/test_explore.py runs the models against
real servers.
"""
from __future__ import annotations

import time

import pytest

from graders.assignments.models.clock import QUESTION, ClockModel, ctime_text

TZ = 5 * 3600 + 30 * 60
T = 1_800_000_000.25  # a moment (seconds since the epoch), a quarter past a whole second


def clock_history(pieces=(QUESTION,), *, at=T, reply: bytes | None = None, closed=True, replied_at=None,
                  fin=False, reset=False):
    model = ClockModel(TZ)
    model.connect("A", at)
    for piece in pieces:
        model.send("A", piece, at)
    if fin:
        model.fin("A", at)
    if reset:
        model.reset("A", at)
    if reply is not None or closed:
        model.received("A", reply or b"", closed, replied_at or at + 0.01)
    return model


def answer(seconds=T) -> bytes:
    return ctime_text(seconds, TZ).encode("ascii")


def point(model, name="A", idle=True):
    violation = model.judge(name, idle=idle)
    return violation.point if violation else None


def test_clock_right_answer_then_close_is_allowed():
    model = clock_history(reply=answer())
    assert point(model) is None and not model.due("A")


def test_clock_answer_is_due_once_the_question_is_complete_and_not_before():
    model = ClockModel(TZ)
    model.connect("A", T)
    model.send("A", QUESTION[:24], T)
    assert not model.due("A") and point(model) is None
    model.send("A", QUESTION[24:], T)
    assert model.due("A")
    assert point(model) == 3  # idle, and nothing came: no answer
    assert point(model, idle=False) is None  # it may still come


@pytest.mark.parametrize("sent", [0, 1, 24])
def test_clock_answer_or_close_before_the_question_is_complete_breaks_point_2(sent):
    assert point(clock_history([QUESTION[:sent]], reply=answer(), closed=False)) == 2
    assert point(clock_history([QUESTION[:sent]], closed=True)) == 2


@pytest.mark.parametrize("leave", ["fin", "reset"])
def test_clock_a_client_that_leaves_midway_needs_nothing(leave):
    kwargs = {leave: True}
    assert point(clock_history([QUESTION[:7]], reply=answer(), **kwargs)) is None
    assert point(clock_history([QUESTION[:7]], closed=True, **kwargs)) is None
    assert point(clock_history([QUESTION[:7]], closed=False, **kwargs)) is None


def test_clock_a_fin_after_the_whole_question_still_gets_the_answer():
    model = clock_history(fin=True, closed=True)
    assert point(model) == 3
    assert point(clock_history(fin=True, reply=answer())) is None


@pytest.mark.parametrize("reply", [answer() + b"\n", answer() + b" ", b'"' + answer() + b'"',
                                   time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(T + TZ)).encode() + b"x",
                                   answer().lower()])
def test_clock_anything_but_the_24_bytes_breaks_point_3(reply):
    assert point(clock_history(reply=reply)) == 3


def test_clock_times_must_lie_between_the_question_and_the_answer():
    assert point(clock_history(reply=answer(T - 1))) == 3  # stale (start-up, connect, cached)
    assert point(clock_history(reply=answer(T + 2), replied_at=T + 0.5)) == 3  # future
    assert point(clock_history(reply=answer(T - TZ))) == 3  # UTC
    assert point(clock_history(reply=answer(T + 1), replied_at=T + 1.1)) is None  # answered a second later


def test_clock_the_connection_must_close_after_the_answer():
    model = clock_history(reply=answer(), closed=False)
    assert point(model, idle=False) is None
    assert point(model, idle=True) == 4


def test_clock_one_client_at_a_time_is_allowed():
    model = ClockModel(TZ)
    model.connect("A", T)
    model.send("A", QUESTION[:3], T)
    model.connect("B", T)
    model.send("B", QUESTION, T)
    assert model.waiting("B") and not model.due("B") and point(model, "B") is None
    model.fin("A", T)
    assert not model.waiting("B") and model.due("B") and point(model, "B") == 3


def test_clock_names_bytes_left_by_an_earlier_client():
    model = ClockModel(TZ)
    model.connect("B", T)
    model.send("B", QUESTION[:24], T)
    model.reset("B", T)
    model.connect("A", T)
    model.send("A", QUESTION[:1], T)
    model.received("A", answer(), True, T)
    violation = model.judge("A", idle=True)
    assert violation.point == 2 and "class attribute" in violation.help


# -- swap --------------------------------------------------------------------------------------------

from graders.assignments.models.swap import SwapModel  # noqa: E402


def swap_model(*events):
    """Replay ``events``: ("connect", X), ("send", X, bytes), ("fin", X), ("reset", X), ("got", X, bytes, closed)."""
    model = SwapModel()
    for event in events:
        kind, name, *rest = event
        if kind == "connect":
            model.connect(name, T)
        elif kind == "send":
            model.send(name, rest[0], T)
        elif kind == "fin":
            model.fin(name, T)
        elif kind == "reset":
            model.reset(name, T)
        elif kind == "got":
            model.received(name, rest[0], rest[1], T)
    return model


def swap_points(model, idle=True):
    return {name: point(model, name, idle) for name in model.connections}


def test_swap_a_pair_gets_each_others_line_then_the_end():
    model = swap_model(("connect", "A"), ("connect", "B"), ("send", "A", b"hi"), ("send", "A", b"\n"))
    assert not model.due("A") and swap_points(model) == {"A": None, "B": None}
    model.send("B", "é\r\x85\n".encode(), T)
    assert model.due("A") and model.due("B")
    model.received("A", "é\r\x85\n".encode(), True, T)
    model.received("B", b"hi\n", True, T)
    assert swap_points(model) == {"A": None, "B": None} and not model.due("A")


@pytest.mark.parametrize("got, closed, want", [
    (b"", False, 3), (b"", True, 4), (b"hi\n", True, 4), (b"yo", True, 4), (b"yo\n\n", True, 4),
    (b"yo\n", False, 4), (b"y", True, 2)])
def test_swap_anything_but_the_partners_line_then_the_end_is_wrong(got, closed, want):
    model = swap_model(("connect", "A"), ("connect", "B"), ("send", "A", b"hi\n"), ("send", "B", b"yo\n"),
                       ("got", "B", b"hi\n", True), ("got", "A", got, closed))
    assert point(model, "A") == want


def test_swap_a_lone_line_waits_and_a_client_without_a_line_is_nobodys_partner():
    model = swap_model(("connect", "A"), ("send", "A", b"alone\n"), ("connect", "B"), ("send", "B", b"half"),
                       ("fin", "B"))
    assert swap_points(model) == {"A": None, "B": None} and not model.due("A")
    model.received("A", b"half", True, T)
    assert point(model, "A") == 3


def test_swap_pairs_lines_in_arrival_order_not_connection_order():
    model = swap_model(("connect", "A"), ("connect", "B"), ("connect", "C"), ("send", "C", b"c\n"),
                       ("send", "B", b"b\n"), ("got", "B", b"c\n", True), ("got", "C", b"b\n", True))
    assert swap_points(model) == {"A": None, "B": None, "C": None}
    wrong = swap_model(("connect", "A"), ("connect", "B"), ("connect", "C"), ("send", "A", b"a\n"),
                       ("send", "C", b"c\n"), ("send", "B", b"b\n"), ("got", "B", b"a\n", True))
    assert point(wrong, "B") == 3


@pytest.mark.parametrize("leave", ["fin", "reset"])
def test_swap_a_client_that_leaves_while_waiting_is_forgotten_or_paired(leave):
    start = [("connect", "A"), ("send", "A", b"a\n"), (leave, "A"), ("connect", "B"), ("send", "B", b"b\n")]
    forgotten = swap_model(*start)
    assert point(forgotten, "B") is None and not forgotten.due("B")  # B waits for a real partner
    forgotten.connect("C", T)
    forgotten.send("C", b"c\n", T)
    forgotten.received("B", b"c\n", True, T)
    forgotten.received("C", b"b\n", True, T)
    assert swap_points(forgotten)["B"] is None and swap_points(forgotten)["C"] is None
    paired = swap_model(*start, ("got", "B", b"a\n", True))
    assert point(paired, "B") is None
    hung_up_on = swap_model(*start, ("got", "B", b"", True))
    assert point(hung_up_on, "B") is not None


def test_swap_a_server_that_exits_breaks_point_6_after_a_hang_up_else_5():
    assert swap_model(("connect", "A")).stop_point() == 5
    assert swap_model(("connect", "A"), ("reset", "A")).stop_point() == 6


# -- secret_number -----------------------------------------------------------------------------------

from graders.assignments.models.secret_number import SecretNumberModel, classify  # noqa: E402


@pytest.mark.parametrize("line, kind", [
    (b"42", "number"), (b" +042\t", "number"), (b"-5\r", "number"), (b"", "error"), (b"  ", "error"),
    (b"4.5", "error"), (b"4 2", "error"), (b"abc", "error"), (b"\xff", "error"), ("\ufeff42".encode(), "error"),
    ("٣٧".encode(), "either"), (b"4_2", "either"), (b"9" * 1001, "either")])
def test_secret_number_classifies_lines_as_the_spec_says(line, kind):
    assert classify(line)[0] == kind


def secret_history(*events, secret=37):
    model = SecretNumberModel(secret)
    for kind, name, *rest in events:
        if kind == "connect":
            model.connect(name, T)
        elif kind == "send":
            model.send(name, rest[0], T)
        elif kind == "fin":
            model.fin(name, T)
        elif kind == "reset":
            model.reset(name, T)
        elif kind == "got":
            model.received(name, rest[0], rest[1] if rest[1:] else False, T)
    return model


def test_secret_number_wrong_right_then_found_for_everyone():
    model = secret_history(("connect", "A"), ("connect", "B"), ("send", "A", b"5\n+037\n"),
                           ("got", "A", b"wrong\nright\n"), ("send", "B", b"37\nabc\n"),
                           ("got", "B", b"secret found\nsecret found\n"))
    assert point(model, "A") is None and point(model, "B") is None
    assert not model.due("A") and not model.due("B")


@pytest.mark.parametrize("guesses, replies, want", [
    (b"5\n", b"Wrong\n", 4), (b"5\n", b"wrong", 4), (b"37\n", b"wrong\n", 2), (b"+37\n", b"wrong\n", 3),
    (b" 5\n", b"error\n", 3), (b"abc\n", b"wrong\n", 5), (b"5\n", b"wrong\nwrong\n", 4),
    (b"37\n37\n", b"right\nright\n", 4), (b"5\n5", b"wrong\nwrong\n", 3)])
def test_secret_number_wrong_replies_name_their_point(guesses, replies, want):
    model = secret_history(("connect", "A"), ("send", "A", guesses), ("got", "A", replies))
    assert point(model, "A") == want


def test_secret_number_found_is_shared():
    model = secret_history(("connect", "A"), ("connect", "B"), ("send", "A", b"37\n"), ("got", "A", b"right\n"),
                           ("send", "B", b"37\n"), ("got", "B", b"right\n"))
    assert point(model, "A") is None and point(model, "B") == 6


def test_secret_number_an_unfinished_last_line_counts_at_the_fin_then_the_end():
    model = secret_history(("connect", "A"), ("send", "A", b"5\n6"), ("got", "A", b"wrong\n"))
    assert point(model, "A") is None and not model.due("A")
    model.fin("A", T)
    assert model.due("A") and point(model, "A") == 3  # idle without the last reply
    model.received("A", b"wrong\n", False, T)
    assert point(model, "A") == 3 and model.due("A")  # idle, and not closed
    model.received("A", b"", True, T)
    assert point(model, "A") is None and not model.due("A")


def test_secret_number_keeps_the_connection_open_after_an_error():
    model = secret_history(("connect", "A"), ("send", "A", b"abc\n"), ("got", "A", b"error: no\n", True))
    assert point(model, "A") == 5


def test_secret_number_a_half_line_elsewhere_keeps_nobody_waiting():
    model = secret_history(("connect", "A"), ("send", "A", b"4"), ("connect", "B"), ("send", "B", b"5\n"))
    assert model.due("B") and point(model, "B") == 7


# -- secret_word -------------------------------------------------------------------------------------

from graders.assignments.models.secret_word import SecretWordModel  # noqa: E402


def page(verdict: str, word: str = "", *, status=b"200 OK", ctype=b"text/html; charset=utf-8", length=None,
         crlf=b"\r\n") -> bytes:
    import html as _html
    body = f"<p>{_html.escape(word)} {verdict}.</p>".encode()
    size = str(len(body) if length is None else length).encode()
    return (b"HTTP/1.0 " + status + crlf + b"Content-Type: " + ctype + crlf + b"Content-Length: " + size
            + crlf + crlf + body)


def word_history(target: str, response: bytes | None, *, secret="café", closed=True, before=()):
    model = SecretWordModel(secret)
    for name, (earlier, got) in zip("XYZ", before):
        model.connect(name, T)
        model.send(name, f"GET {earlier} HTTP/1.0\r\n\r\n".encode(), T)
        model.received(name, got, True, T)
        assert point(model, name) is None
    model.connect("A", T)
    model.send("A", f"GET {target} HTTP/1.0\r\nHost: x\r\n\r\n".encode(), T)
    if response is not None:
        model.received("A", response, closed, T)
    return model


def test_secret_word_right_wrong_found_and_favicon():
    assert point(word_history("/caf%C3%A9", page("is right", "café"))) is None
    assert point(word_history("/Caf%C3%A9", page("is wrong", "Café"))) is None
    assert point(word_history("/a%3Cb", page("is wrong", "a<b"))) is None
    found = [("/caf%C3%A9", page("is right", "café"))]
    assert point(word_history("/x", page("already found"), before=found)) is None
    assert point(word_history("/favicon.ico", b"HTTP/1.0 404 Not Found\r\n\r\n", before=found)) is None


@pytest.mark.parametrize("target, response, want", [
    ("/caf%C3%A9", page("is wrong", "café"), 3),  # the secret, said wrong
    ("/Caf%C3%A9", page("is right", "Café"), 3),  # case folded
    ("/a%3Cb", page("is wrong", "a&lt;b").replace(b"&amp;lt;", b"<"), 4),  # not escaped
    ("/x", page("is wrong", "x", ctype=b"text/html"), 4), ("/x", page("is wrong", "x", ctype=b"text/html; charset=utf8"), 4),
    ("/x", page("is wrong", "x", length=3), 4), ("/x", page("is wrong", "x", crlf=b"\n"), 4),
    ("/x", page("is wrong", "x", status=b"404 Not Found"), 4), ("/favicon.ico", page("is wrong", "favicon.ico"), 5),
    ("/x", page("is wrong is right", "x"), 4)])
def test_secret_word_wrong_responses_name_their_point(target, response, want):
    assert point(word_history(target, response)) == want


def test_secret_word_found_is_shared_and_favicon_changes_nothing():
    found = [("/caf%C3%A9", page("is right", "café"))]
    assert point(word_history("/caf%C3%A9", page("is right", "café"), before=found)) == 6
    favicon = [("/favicon.ico", b"HTTP/1.0 404 Not Found\r\n\r\n")]
    assert point(word_history("/caf%C3%A9", page("is right", "café"), before=favicon)) is None


def test_secret_word_a_path_starting_with_two_slashes_may_lose_them():
    assert point(word_history("//caf%C3%A9", page("is right", "café"))) is None
    assert point(word_history("//caf%C3%A9", page("is wrong", "/café"))) is None


def test_secret_word_nothing_before_the_whole_head_and_closes_after():
    model = SecretWordModel("apple")
    model.connect("A", T)
    model.send("A", b"GET /apple HTTP/1.0\r\n", T)
    assert not model.due("A") and point(model, "A") is None
    model.received("A", page("is right", "apple"), False, T)
    assert point(model, "A") == 1
    assert point(word_history("/x", page("is wrong", "x"), closed=False), idle=True) == 4


def test_secret_number_hints_follow_the_bug_seen():
    crash = secret_history(("connect", "A"), ("send", "A", b"abc\n"), ("got", "A", b"", True))
    assert point(crash, "A") == 5
    skips = secret_history(("connect", "A"), ("send", "A", b"5\n\n"), ("got", "A", b"wrong\n"))
    assert point(skips, "A") == 5
    ranged = secret_history(("connect", "A"), ("send", "A", b"150\n"), ("got", "A", b"error: 1..100\n"))
    assert point(ranged, "A") == 4


def test_the_clock_model_and_checks_agree_on_the_question_and_the_time_zone():
    """graders.assignments.models.clock keeps its own copies (it imports no check module)."""
    from graders.assignments import clock
    from graders.assignments.models import clock as model
    assert (model.QUESTION, model.TZ, model.TZ_OFFSET, model.SERVER_ENV) == \
        (clock.QUESTION, clock.TZ, clock.TZ_OFFSET, clock.SERVER_ENV)


@pytest.mark.parametrize("leave", ["fin", "reset"])
def test_swap_the_ghost_s_line_may_come_after_a_look_that_found_nothing(leave):
    """Judged idle before the server's thread woke for B's line (a loaded machine), B has nothing yet:
    both choices stay open, and A's line coming later is still right (a false fail, found under load)."""
    model = swap_model(("connect", "A"), ("send", "A", b"a\n"), (leave, "A"), ("connect", "B"), ("send", "B", b"b\n"))
    assert point(model, "B", True) is None
    model.received("B", b"a\n", True, T)
    assert point(model, "B", True) is None
    partial = swap_model(("connect", "A"), ("send", "A", b"aa\n"), (leave, "A"), ("connect", "B"),
                         ("send", "B", b"b\n"), ("got", "B", b"a", False))
    assert point(partial, "B", True) is not None  # a piece of the ghost's line, and the server idle: wrong
