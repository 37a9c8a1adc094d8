"""Generated mutants (tests/mutants/generate.py, issue 21): the cheap part, in ``make test``.

The full run (``make mutation``, about 31 minutes) grades every mutant that
cosmic-ray's operators make of the corpus's correct servers.  Here: the
enumeration still gives exactly the recorded mutants (same ids, same source),
every survivor is judged, and a fixed sample of ten killed or equivalent
mutants per assignment gets the verdict recorded for it.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mutants import generate

RECORDS = generate.load_results()
JUDGED = generate.load_judged()


@pytest.fixture(scope="module")
def enumerated():
    return {m.id: m for m in generate.enumerate_all()}


def test_results_are_recorded():
    assert RECORDS, "no tests/mutants/generated/results.json: run make mutation"
    assert {r["assignment"] for r in RECORDS} == {"clock", "swap", "secret_number", "secret_word"}


def test_enumeration_is_deterministic_and_recorded(enumerated):
    recorded = {r["id"]: r["sha"] for r in RECORDS}
    now = {i: m.sha for i, m in enumerated.items()}
    new, gone = sorted(set(now) - set(recorded)), sorted(set(recorded) - set(now))
    changed = sorted(i for i in set(now) & set(recorded) if now[i] != recorded[i])
    assert not (new or gone or changed), (
        f"the generated mutants changed (a correct server or the operators did): {len(new)} new {new[:3]}, "
        f"{len(gone)} gone {gone[:3]}, {len(changed)} with other source {changed[:3]}; run make mutation")
    again = [m.id for m in generate.enumerate_all(["clock"])]
    assert again == [i for i in enumerated if i.startswith("clock/")], "two enumerations differ"


def test_every_correct_server_is_mutated_and_every_survivor_judged():
    from mutants import corpus
    bases = {(c.assignment, c.path.stem) for c in corpus.load() if c.correct}
    assert {(r["assignment"], r["base"]) for r in RECORDS} == bases
    for name in {a for a, _ in bases}:
        assert sum(1 for a, _ in bases if a == name) >= 6, f"{name}: fewer than six correct servers"
    unjudged = [r["id"] for r in RECORDS if r["status"] in ("survived", "flaky") and r["id"] not in JUDGED]
    assert not unjudged, f"survivors nobody judged in {generate.JUDGED.name}: {unjudged}"
    stale = sorted(set(JUDGED) - {r["id"] for r in RECORDS if r["status"] in ("survived", "flaky")})
    assert not stale, f"judged.toml names mutants that are not survivors: {stale}"
    for mutant_id, verdict in JUDGED.items():
        assert verdict.get("verdict") in ("equivalent", "missed") and verdict.get("reason"), mutant_id


@pytest.mark.slow
def test_sample_is_classified_as_recorded(enumerated):
    """Ten mutants per assignment, graded four at a time: killed ones still fail, equivalent ones pass."""
    by_id = {r["id"]: r for r in RECORDS}
    chosen = [enumerated[i] for i in generate.sample(RECORDS, JUDGED)]
    assert len(chosen) == 4 * generate.SAMPLE
    with ThreadPoolExecutor(max_workers=4) as pool:
        gradings = list(pool.map(generate.grade, chosen))
    wrong = []
    for mutant, grading in zip(chosen, gradings):
        expected = by_id[mutant.id]["status"]
        if grading.status != expected:
            wrong.append(f"{mutant.id} (line {mutant.line}: {mutant.before} -> {mutant.after}): "
                         f"recorded {expected}, now {grading.status} {grading.failed} {grading.detail[:200]}")
    assert not wrong, "\n".join(wrong)
