"""benchmarks/batch.py works: a tiny run (3 submissions) grades serially and in parallel alike."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_benchmark_runs_with_a_tiny_class(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "batch.py"), "--assignments", "clock",
                           "--n", "3", "--jobs", "2", "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=840, stdin=subprocess.DEVNULL, cwd=REPO)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    assert "gradebook scores identical for all 3 submissions" in out, out
    assert re.search(r"speedup: \d+\.\d\dx", out), out
    assert len(re.findall(r"per submission median [\d.]+ s, worst [\d.]+ s", out)) == 2, out
    # both course directories were really graded: 3 autograded notebooks each
    for kind in ("serial", "parallel"):
        assert len(list((tmp_path / f"clock-{kind}" / "autograded").glob("*/clock/clock.ipynb"))) == 3, kind
