"""The clock checks: the ctime() arithmetic, wait_idle() on real servers, and verdicts that name the bug.

The mutation corpus (tests/mutants/clock/, graded by tests/test_mutants.py) pins
which checks fail for each kind of bug; here the pieces those verdicts rest on
are tested on their own, cheaply: no nbgrader, a handful of sandboxed servers.
"""
from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

from graders import assignments
from graders.assignments import clock
from graders.checking.checks import run_checks
from graders.checking.harness import Server, Transcript

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "mutants" / "clock"
CLOCK = assignments.get("clock")


def test_ctime_text_round_trip():
    now = time.time()
    text = clock.local_ctime(now)
    assert len(text) == clock.CTIME_BYTES
    assert clock.parse_ctime(text.encode()) == math.floor(now)
    # the server's local time is UTC + 5:30, whatever the grader's own time zone
    assert clock.parse_ctime(time.asctime(time.gmtime(now + clock.TZ_OFFSET)).encode()) == math.floor(now)
    assert clock.parse_ctime(b"Tue Nov 03 10:00:00 2026") is None  # strftime("%d"), not ctime()
    assert clock.looks_like_time(b"Tue Nov 03 10:00:00 2026")
    assert clock.parse_ctime(b"Tue Nov  3 10:00:00 2026") is not None
    assert clock.parse_ctime(text.encode() + b"\n") is None
    assert clock.parse_ctime(text.encode("utf-16")) is None


def test_next_second_waits_for_a_whole_second():
    before = clock.ctime_clock()
    boundary = clock.next_second()
    assert boundary == before + 1
    assert clock.ctime_clock() >= boundary and time.time() >= boundary
    assert clock.ctime_clock() <= math.floor(time.time())  # time(NULL) never runs ahead of time.time()


def test_every_spec_point_has_a_check():
    for point in CLOCK.spec:
        assert any(point in c.spec for c in CLOCK.checks.values()), point
    assert all(c.spec for c in CLOCK.checks.values())


@pytest.fixture
def servers():
    started = []

    def start(name: str) -> Server:
        server = Server(CORPUS / name, Transcript(), env=clock.SERVER_ENV)
        started.append(server)
        return server.start(port=clock.PORT)

    yield start
    for server in started:
        server.close()


def test_wait_idle_tells_a_patient_server_from_an_early_answer(servers):
    """After the server has read 24 bytes and gone idle, a correct server has said nothing;
    a server that takes one recv() for the question has already answered."""
    patient, hasty = servers("correct_seed_lecture.py"), servers("p2_single_recv.py")
    for server in (patient, hasty):
        client = server.client("A")
        client.send(clock.QUESTION[:24])
        assert clock.wait_idle(server, [client]) is True
        assert clock.server_unread(server, client) == 0
        got = client.receive(64, timeout=0.02)
        if server is patient:
            assert got == b"" and not client.peer_closed
            client.send(clock.QUESTION[24:])
            assert clock.parse_ctime(client.receive(clock.CTIME_BYTES)) is not None
        else:
            assert clock.parse_ctime(got) is not None and client.peer_closed


def test_wait_idle_sees_a_server_that_keeps_the_connection_open(servers):
    server = servers("p4_fork_keeps_copy.py")
    client = server.client("A")
    client.send(clock.QUESTION)
    assert clock.parse_ctime(client.receive(clock.CTIME_BYTES)) is not None
    assert clock.wait_idle(server, [client]) is True  # the child has exited; the parent waits in accept()
    client.receive(64, timeout=0.02)
    assert not client.peer_closed


VERDICTS = {  # corpus file: (check, words its rationale or hint must contain)
    "p3_utc.py": ("answers_question", "5 h 30 min"),
    "p3_time_at_startup.py": ("answers_question", "once when it started"),
    "p3_padded.py": ("answers_question", "no padding to 25"),
    "p4_fork_keeps_copy.py": ("closes_connection", "the parent must close its copy"),
    "p2_shared_buffer.py": ("question_per_client", "after only 24 of the 25 bytes of client A"),
}


@pytest.fixture(scope="module")
def verdicts():
    reports = {}

    def grade(name, check):
        reports[name] = run_checks(CLOCK, CORPUS / name, only=[check])

    threads = [threading.Thread(target=grade, args=(name, check)) for name, (check, _) in VERDICTS.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    return reports


@pytest.mark.parametrize("name", VERDICTS)
def test_a_verdict_names_the_bug(name, verdicts):
    check, words = VERDICTS[name]
    result = verdicts[name].result(check)
    assert result.status == "fail", result.render()
    text = f"{result.rationale} {result.help}"
    assert words in text, result.render()
    assert "(spec point" in result.render()
