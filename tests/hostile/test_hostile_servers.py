"""The hostile corpus: servers that misbehave on purpose, graded with the clock checks.

Each case is graded (``run_checks``, as nbgrader's TrustedChecks and the CLI do) while a
correct server is graded at the same time, as another student in a parallel batch.  Every
case must end with a clear verdict (no check in "error", the statuses the case deserves)
within a bounded time; the other student must still get full marks; no process of either
sandbox may survive (tokens, PID namespaces, names: see conftest.py); no socket may be left
listening (tests/conftest.py); the fake course directory must be unchanged.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest

from graders import assignments
from graders.checking.checks import Report, run_checks
from graders.sandbox import isolation_mode

from .conftest import CORRECT, OUTSIDE_TMP, REPO, SERVERS, process_limit_enforced

CLOCK = assignments.get("clock")
CHECKS = list(CLOCK.checks)
WALL_LIMIT = 120.0  # seconds one hostile grading may take (generous: the point is "bounded"; the fallback
# runs the checks one by one, and the exploration of generated scenarios may take up to its 20 s
# Explorer.generation_wall and one scenario more)
SANDBOX_MEMORY = 1.5 * (1 << 30)  # bytes all of one sandbox's processes may hold together (each check has its own)

FULL = {name: "pass" for name in CHECKS}
NO_START = {name: ("fail" if name == "starts" else "skip") for name in CHECKS}
# The exploration of generated scenarios depends on "starts" only: it runs, and fails, where no answer comes.
NO_ANSWER = {name: {"starts": "pass", "uses_port": "pass", "answers_question": "fail", "explore": "fail"}.get(name, "skip")
             for name in CHECKS}
ANY = None  # any verdict, as long as no check is in "error"
# Fair partial credit (issue 21): an answer in the wrong form lets the checks that depend on it run.
# writes_forever sends ctime() texts without end from the moment a client connects: answers come
# (several and silent clients are served), but before the question, never closed, not one per client.
WRITES_FOREVER = {**FULL, "answers_question": "fail", "closes_connection": "fail",
                  "waits_for_whole_question": "fail", "time_when_asked": "fail", "question_per_client": "fail",
                  "explore": "fail"}
# non_utf8 answers one recv(25) with 24 bytes that are not a time: its single recv() is seen too, and
# the time it answered cannot be judged.
NON_UTF8 = {**FULL, "answers_question": "fail", "waits_for_whole_question": "fail", "time_when_asked": "skip",
            "question_per_client": "fail", "explore": "fail"}

CASES = {
    "loop_before_bind": NO_START,
    "never_binds": NO_START,
    "binds_never_accepts": NO_ANSWER,
    "reads_forever": NO_ANSWER,
    "writes_forever": WRITES_FOREVER,
    "floods_output": FULL,
    "memory_bomb": NO_ANSWER,
    "memory_bomb_forks": NO_ANSWER,
    "daemonizes": FULL,
    "daemon_exits": ANY,
    "ignores_signals": FULL,
    "binds_all": FULL,
    "closes_at_once": NO_ANSWER,
    "non_utf8": NON_UTF8,
    "tampers_files": FULL,
    "reads_secrets": FULL,
    "egress": FULL,
    "fork_bomb": ANY,
}


def test_every_server_file_is_a_case():
    assert sorted(p.stem for p in SERVERS.glob("*.py")) == sorted(CASES)


class Graded:
    def __init__(self, report: Report, seconds: float) -> None:
        self.report = report
        self.seconds = seconds

    def statuses(self) -> dict[str, str]:
        return {r.name: r.status for r in self.report.results}

    def output(self) -> str:
        return "\n".join(r.server_output for r in self.report.results)

    def text(self) -> str:
        return "\n".join([r.server_output + "\n".join(r.transcript) + (r.rationale or "")
                          for r in self.report.results])


def neighbour_answer() -> Path:
    """A correct answer where TrustedChecks would put another student's: /tmp/graders-answer-*/."""
    directory = Path(tempfile.mkdtemp(prefix="graders-answer-"))
    path = directory / CLOCK.answer_file
    shutil.copy(CORRECT, path)
    return path


def grade_concurrently(hostile: Path, neighbour: Path, during=None) -> tuple[Graded, Graded]:
    """Grade ``hostile`` and ``neighbour`` at the same time, each in its own thread.

    ``during`` (optional) is called repeatedly until both gradings end (a sampler).
    """
    results: dict[str, Graded | BaseException] = {}
    done = threading.Event()

    def grade(key: str, path: Path) -> None:
        began = time.monotonic()
        try:
            results[key] = Graded(run_checks(CLOCK, path), time.monotonic() - began)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            results[key] = exc

    threads = [threading.Thread(target=grade, args=("hostile", hostile), name="grade-hostile"),
               threading.Thread(target=grade, args=("neighbour", neighbour), name="grade-neighbour")]
    for t in threads:
        t.start()
    deadline = time.monotonic() + WALL_LIMIT * 3
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        if during is not None:
            during()
        threads[0].join(0.05)
        threads[1].join(0.0)
    for t in threads:
        t.join(max(deadline - time.monotonic(), 0))
        assert not t.is_alive(), f"{t.name} did not end within {WALL_LIMIT * 3:g} s"
    for value in results.values():
        if isinstance(value, BaseException):
            raise value
    return results["hostile"], results["neighbour"]


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_server(case, watch, fake_course, well_known, tmp_path):
    hostile = SERVERS / f"{case}.py"
    neighbour = neighbour_answer()
    neighbour_source = neighbour.read_bytes()
    victim_dir = Path(tempfile.mkdtemp(prefix="graders-victim-"))  # beside the server's own dir
    victim = victim_dir / "victim.txt"
    victim.write_text("precious\n")
    far_dir = Path(tempfile.mkdtemp(prefix="graders-victim-", dir=OUTSIDE_TMP))  # seen if /tmp is not
    far_victim = far_dir / "victim.txt"
    far_victim.write_text("precious\n")
    os.chmod(far_dir, 0o755)
    os.chmod(far_victim, 0o644)
    samples = {"rss": 0, "host_listeners": set()}
    try:
        if case == "fork_bomb":
            enforced, why = process_limit_enforced()
            if not enforced:
                pytest.skip(f"no process limit is enforced on sandboxes here ({why}): "
                            "running the fork bomb could take the machine down")
        if case == "egress" and isolation_mode() != "namespaces":
            pytest.skip("without a private network namespace the egress attempt would leave the machine")
        well_known({
            "overwrite": [str(neighbour), str(victim), str(far_victim)] + [str(p) for p in fake_course.secret_files],
            "delete": [str(victim), str(far_victim)],
            "delete_tree": [str(victim_dir), str(far_dir)],
            "read": [str(p) for p in fake_course.secret_files]
                    + [str(REPO / "solutions" / "clock" / "clock.ipynb"), str(neighbour)],
            "glob": [str(fake_course.root / "**" / "*")],
        })

        def sample() -> None:
            if case.startswith("memory_bomb"):
                samples["rss"] = max(samples["rss"], watch.rss_bytes())
            if case == "binds_all":
                for c in psutil.net_connections(kind="tcp"):
                    if c.status == psutil.CONN_LISTEN and c.laddr.port == 12091 and c.pid:
                        try:
                            cmd = " ".join(psutil.Process(c.pid).cmdline())
                        except psutil.Error:
                            continue
                        # By name, or (forked by the zygote: its command line is the zygote's) by
                        # being in a watched sandbox (its cgroup, or its namespace while its jail runs).
                        if "binds_all.py" in cmd or watch.owns(c.pid):
                            samples["host_listeners"].add((c.laddr.ip, c.pid, cmd))

        graded, other = grade_concurrently(hostile, neighbour, during=sample)
    finally:
        shutil.rmtree(neighbour.parent, ignore_errors=True)
        victim_present = all(v.exists() and v.read_text() == "precious\n" for v in (victim, far_victim))
        shutil.rmtree(victim_dir, ignore_errors=True)
        shutil.rmtree(far_dir, ignore_errors=True)

    statuses = graded.statuses()
    print(f"{case}: {statuses} in {graded.seconds:.1f} s; neighbour {other.seconds:.1f} s")
    # a clear verdict, in bounded time
    assert graded.seconds < WALL_LIMIT, f"{case} took {graded.seconds:.1f} s to grade"
    errors = {r.name: r.rationale for r in graded.report.results if r.status == "error"}
    assert not errors, f"the grader itself failed on {case}: {errors}"
    expected = CASES[case]
    if expected is not ANY:
        assert statuses == expected, graded.report.render(transcripts="all")[-4000:]
    # nobody else affected
    assert other.report.passed, ("the correct server graded at the same time did not get full marks:\n"
                                 + other.report.render(transcripts="failed")[-4000:])
    assert neighbour_source == CORRECT.read_bytes()
    assert victim_present, "a file in a sibling directory (or under /var/tmp) was deleted or overwritten"
    # what each case is about
    text = graded.text()
    assert fake_course.secret not in text, f"{case} read a secret from the course directory"
    assert "BEGIN SOLUTION" not in text, f"{case} read the instructor's solution notebook"
    if case == "floods_output":
        for result in graded.report.results:
            assert len(result.server_output) < 70_000, "a flood of output was kept whole"
        assert "more bytes of output not kept" in graded.output()
    if case.startswith("memory_bomb"):
        assert samples["rss"] < SANDBOX_MEMORY, (
            f"{case}: one sandbox's processes held {samples['rss'] / (1 << 30):.2f} GiB together "
            f"(limit {SANDBOX_MEMORY / (1 << 30):.2f} GiB): memory is limited per process only")
    if case == "binds_all":
        assert not samples["host_listeners"], f"0.0.0.0:12091 was visible on the host: {samples}"
    if case == "non_utf8":
        answered = graded.report.result("answers_question")
        assert "did not get a time.ctime() text" in answered.rationale
        assert "\\xff\\xfe" in answered.actual
    if case == "egress":
        lines = [line for line in graded.output().splitlines() if line.startswith("EGRESS")]
        assert lines and not any("not-isolated" in line for line in lines), lines
        for line in lines:
            fields = dict(word.split("=", 1) for word in line.split()[2:])
            assert fields["errno"] == errno.errorcode[errno.ENETUNREACH], line
            assert float(fields["seconds"]) < 0.5, line
    if case == "reads_secrets":  # a hidden file reads as empty; a leak shows its contents
        leaked = [line for line in graded.output().splitlines()
                  if "LEAKED:" in line and line.split("LEAKED:", 1)[1].strip()]
        assert not leaked, "reads_secrets read files outside its own directory:\n" + "\n".join(leaked[:20])
