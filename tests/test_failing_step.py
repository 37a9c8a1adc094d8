"""The sequence diagram marks the step that failed (issue 23).

For a failing check of each assignment, graded for real against a buggy
server, the highlighted row (graders.diagram.failing_index, from
CheckResult.failed_step that graders.checks.failed_step records) must be the
event the verdict is about: the page or the reply the check judged, not an
earlier step of another client that the rationale merely mentions.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from graders import assignments
from graders.checking.checks import Failure, failed_step, run_checks
from graders.checking.diagram import failing_index, svg

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# The swap server: a single recv(1024) and no lock.
SWAP_ONE_RECV_NO_LOCK = '''
import threading
from socketserver import BaseRequestHandler, ThreadingTCPServer

waiting = []


class SwapHandler(BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024)
        partner = waiting.pop() if waiting else None
        if partner is None:
            box, ready = [], threading.Event()
            waiting.append((data, box, ready))
            ready.wait()
            self.request.sendall(box[0])
        else:
            partner_data, box, ready = partner
            box.append(data)
            ready.set()
            self.request.sendall(partner_data)


class Server(ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


Server(("", 12092), SwapHandler).serve_forever()
'''


def forgetful_secret_word() -> str:
    """examples/secret_word/correct.py with 'found' a local of each request: never 'already found'."""
    source = (EXAMPLES / "secret_word" / "correct.py").read_text()
    assert "        global found\n" in source
    return source.replace("        global found\n", "        found = False\n")


CASES = {
    # assignment, check: (server source, the failing step's client, its kind, a word of what it shows)
    ("clock", "answers_question"): ((EXAMPLES / "clock" / "wrong_answer.py").read_text(), "A", "receive",
                                    "The time is"),
    ("swap", "line_in_pieces"): (SWAP_ONE_RECV_NO_LOCK, "B", "receive", "3 bytes"),
    ("secret_number", "found_for_everyone"): ((EXAMPLES / "secret_number" / "handler_state.py").read_text(),
                                              "B", "receive", "right"),
    # The case: client A found the word; the page that failed is client B's.
    ("secret_word", "found_for_everyone"): (forgetful_secret_word(), "B", "note", "reads HTTP/1.0 200"),
}


@pytest.mark.parametrize("assignment,check", list(CASES))
def test_the_marked_step_is_the_event_that_failed(tmp_path, assignment, check):
    source, who, kind, shows = CASES[(assignment, check)]
    path = tmp_path / assignments.get(assignment).answer_file
    path.write_text(source, encoding="utf-8")
    result = run_checks(assignments.get(assignment), path, only=[check]).result(check)
    assert result.status == "fail", result.render(transcripts="all")
    marked = failing_index(result)
    event = result.events[marked]
    assert (event["who"], event["kind"]) == (who, kind), result.render(transcripts="all")
    assert shows in event["what"]
    # The diagram draws the mark on that row: the failing rectangle sits at that row's height.
    picture = svg(result)
    rows = [float(y) for y in re.findall(r"<text x='6' y='([\d.]+)'", picture)]
    box = float(re.search(r"class='failing' x='2' y='([\d.]+)'", picture).group(1))
    assert rows.index(box + 20) == marked


def test_failed_step_prefers_the_client_the_failure_names():
    events = [{"who": "A", "kind": "receive", "what": "receives"}, {"who": "B", "kind": "receive", "what": "x"},
              {"who": "A", "kind": "close", "what": "closes"}, {"who": "C", "kind": "wait", "what": "waited"}]
    assert failed_step(events, Failure("the page after client A found it is wrong", at="B")) == 1
    assert failed_step(events, Failure("client A got the wrong reply")) == 0
    assert failed_step(events, Failure("the page after client A found it is wrong")) == 3
    assert failed_step(events, RuntimeError("the grader's own")) == 3
    assert failed_step([], None) is None


def test_a_diagram_of_many_clients_fits_a_notebook():
    from graders.checking.checks import CheckResult
    from graders.checking.diagram import MAX_WIDTH
    events = [{"who": "server", "kind": "server", "what": "listening on 0.0.0.0:12092", "seconds": 0.0}]
    names = [f"P{i:02}" for i in range(1, 11)]
    events += [{"who": who, "kind": "connect", "what": "connected", "seconds": 0.1} for who in names]
    events += [{"who": who, "kind": "receive", "what": "receives 'x\\n'", "preview": "'x\\n'", "size": 2,
                "seconds": 0.2} for who in names if who != "P05"]
    events += [{"who": "P05", "kind": "wait", "what": "waited 10 s: nothing came", "seconds": 10.2}]
    result = CheckResult("many_at_once", "pairs everyone", "fail", rationale="clients P05 received no line",
                         events=events, failed_step=len(events) - 1)
    picture = svg(result)
    width = float(re.search(r"width='(\d+)'", picture).group(1))
    assert width <= MAX_WIDTH + 50  # it was 3,174 px: one 250 px lifeline per client
    assert "P02…P09 (7)" in picture and "client P05" in picture and "client P10" in picture
    assert "×3 connect" in picture and "×4 connect" in picture  # a run of folded steps: one row
    assert failing_index(result) == len(events) - 1
