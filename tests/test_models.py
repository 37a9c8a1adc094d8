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
