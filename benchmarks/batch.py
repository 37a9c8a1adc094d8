"""Benchmark: serial ``nbgrader autograde`` against the parallel batch (graders.grading.batch).

    python benchmarks/batch.py [--assignments clock,swap] [--n 40] [--jobs N] [--root DIR]
    python benchmarks/batch.py --scheduler tcp://HOST:8786   # the batch on a Dask cluster
    python benchmarks/batch.py --scheduler local              # a local Dask cluster, 1 then 2 workers

For each assignment, builds N synthetic submissions from the released notebook
(notebooks/A/A.ipynb) with the answer cell filled from the example cases (examples/A/*.py, in
turn; plus the untouched stub), in two identical course directories.  Grades one with a
single serial ``nbgrader autograde A`` (one process, every student) and the other with
``graders.grading.batch.grade`` (``--jobs`` at a time, default the CPU count); checks that the two
gradebooks hold the same score for every student; prints the speedup and the median and
worst autograde time per submission of each.

Per-submission times of the serial run are the gaps between the autograded notebooks' write
times (nbgrader writes each as it finishes it).  CPU per submission is the CPU time of the
whole process tree (this process and everything it started, reaped or alive) divided by N.  Exit
status 1 when the scores differ.  With ``--scheduler`` the batch runs on Dask workers and the
benchmark prints submissions per second (``local``: it starts a scheduler and 1, then 2,
workers on 127.0.0.1 itself).  Not a test: it takes minutes.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import socket
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from graders import assignments  # noqa: E402
from graders.checking import answers
from graders.grading.batch import default_jobs, grade  # noqa: E402
from graders.course.paths import nbgrader  # noqa: E402


def cases_of(name: str) -> list[Path | None]:
    """The example answers of an assignment (None: the untouched released notebook)."""
    return sorted((REPO / "examples" / name).glob("*.py")) + [None]


def submission(name: str, case: Path | None) -> nbformat.NotebookNode:
    """The released notebook with its answer cell filled from ``case`` (as examples/build.py)."""
    nb = nbformat.read(str(REPO / "notebooks" / name / f"{name}.ipynb"), as_version=4)
    if case is None:
        return nb
    source = case.read_text(encoding="utf-8")
    for index, cell in enumerate(nb.cells):
        first = cell.source.partition("\n")[0]
        if cell.cell_type == "code" and answers.WRITEFILE.match(first.strip()) \
                and cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = f"{first}\n{source.rstrip()}"
            extra = source.partition("\n")[0]
            if extra.startswith("# notebook-extra:"):
                code = extra.split(":", 1)[1].strip().replace("\\n", "\n")
                nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
            return nb
    raise SystemExit(f"{name}: the released notebook has no answer cell")


def build_course(root: Path, name: str, n: int) -> list[str]:
    cases = cases_of(name)
    students = []
    for i in range(n):
        case = cases[i % len(cases)]
        student = f"s{i:03d}_{case.stem if case else 'untouched_stub'}"
        target = root / "submitted" / student / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission(name, case), str(target))
        students.append(student)
    nbgrader("generate_assignment", name, "--force", root=root, release=root / "release")
    return students


def gradebook_scores(root: Path, name: str) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(name)}


def serial_times(root: Path, name: str, began_wall: float) -> list[float]:
    ends = sorted(p.stat().st_mtime for p in (root / "autograded").glob(f"*/{name}/{name}.ipynb"))
    gaps, last = [], began_wall
    for end in ends:
        gaps.append(end - last)
        last = end
    return gaps


def cpu_now() -> float:
    """CPU seconds of this process, its reaped children, and its live descendants and theirs.

    (The batch's workers are children of a long-lived forkserver process, which reaps them.)
    """
    import psutil
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    for proc in psutil.Process().children(recursive=True):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def summary(times: list[float]) -> str:
    if not times:
        return "no submissions"
    return f"median {statistics.median(times):.1f} s, worst {max(times):.1f} s"


def bench(name: str, n: int, jobs: int, base: Path) -> bool:
    serial_root, parallel_root = base / f"{name}-serial", base / f"{name}-parallel"
    for root in (serial_root, parallel_root):
        shutil.rmtree(root, ignore_errors=True)
        students = build_course(root, name, n)
    print(f"\n{name}: {len(students)} submissions ({len(cases_of(name))} cases in turn)", flush=True)

    began, began_wall, cpu = time.monotonic(), time.time(), cpu_now()
    done = nbgrader("autograde", name, "--force", root=serial_root, check=False)
    serial = time.monotonic() - began
    serial_cpu = cpu_now() - cpu
    per_serial = serial_times(serial_root, name, began_wall)
    if done.returncode != 0:
        print(f"  serial nbgrader autograde exited with status {done.returncode}:\n{done.stderr[-2000:]}")
    print(f"  serial   nbgrader autograde: {serial:7.1f} s; per submission {summary(per_serial)}; "
          f"CPU {serial_cpu / n:.2f} s per submission", flush=True)

    began, cpu = time.monotonic(), cpu_now()
    outcomes = grade(parallel_root, name, jobs=jobs, force=True, progress=False)
    parallel = time.monotonic() - began
    parallel_cpu = cpu_now() - cpu
    per_parallel = [o.seconds for o in outcomes]
    failed = [o for o in outcomes if o.status != "graded"]
    print(f"  parallel graders.grading.batch (jobs={jobs}): {parallel:7.1f} s; per submission {summary(per_parallel)}; "
          f"CPU {parallel_cpu / n:.2f} s per submission")
    for o in failed:
        print(f"    {o.student}: {o.status}: {o.reason}")

    serial_scores = gradebook_scores(serial_root, name)
    parallel_scores = gradebook_scores(parallel_root, name)
    same = serial_scores == parallel_scores and len(serial_scores) == n
    if same:
        print(f"  gradebook scores identical for all {n} submissions")
    else:
        diff = {s: (serial_scores.get(s), parallel_scores.get(s))
                for s in sorted(set(serial_scores) | set(parallel_scores))
                if serial_scores.get(s) != parallel_scores.get(s)}
        print(f"  gradebook scores DIFFER (student: serial, parallel): {diff}")
    print(f"  speedup: {serial / parallel:.2f}x (serial {serial:.1f} s / parallel {parallel:.1f} s)")
    print(f"  CPU per submission: serial {serial_cpu / n:.2f} s, parallel {parallel_cpu / n:.2f} s")
    return same and not failed and done.returncode == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_local_cluster(workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A Dask scheduler and ``workers`` workers (one thread each) on 127.0.0.1."""
    from distributed import Client
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=REPO)
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], **quiet)]
    for _ in range(workers):
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                                       "1", "--host", "127.0.0.1", "--no-dashboard", "--preload", "graders.grading.worker"],
                                      **quiet))
    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def bench_cluster(name: str, n: int, address: str, base: Path, label: str) -> bool:
    root = base / f"{name}-cluster-{label}"
    shutil.rmtree(root, ignore_errors=True)
    build_course(root, name, n)
    began = time.monotonic()
    outcomes = grade(root, name, force=True, progress=False, scheduler=address)
    took = time.monotonic() - began
    workers = sorted({o.worker for o in outcomes})
    failed = [o for o in outcomes if o.status != "graded"]
    print(f"  {label}: {n} submissions in {took:.1f} s: {n / took:.2f} submissions/s "
          f"({len(workers)} worker{'s' if len(workers) != 1 else ''} did the work; {len(failed)} failed)", flush=True)
    return not failed


def cluster_main(names: list[str], n: int, scheduler: str, base: Path) -> bool:
    ok = True
    for name in names:
        print(f"\n{name} on Dask:")
        if scheduler != "local":
            ok &= bench_cluster(name, n, scheduler, base, scheduler)
            continue
        for workers in (1, 2):
            address, procs = start_local_cluster(workers)
            try:
                ok &= bench_cluster(name, n, address, base, f"{workers} worker{'s' if workers > 1 else ''}")
            finally:
                for proc in reversed(procs):
                    proc.terminate()
                    proc.wait(30)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", default="",
                        help="comma-separated (default: clock, or every assignment with notebooks and examples)")
    parser.add_argument("--n", type=int, default=40, help="submissions per assignment (default 40)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="local worker processes")
    parser.add_argument("--scheduler", help="a Dask scheduler's address, or 'local' to start one with 1 and 2 workers")
    parser.add_argument("--root", help="where to build the courses (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the course directories")
    args = parser.parse_args(argv)
    ready = [n for n in assignments.available()
             if (REPO / "notebooks" / n / f"{n}.ipynb").exists() and (REPO / "examples" / n).is_dir()]
    names = [n for n in args.assignments.split(",") if n] or (["clock"] if "clock" in ready else ready)
    missing = [n for n in names if n not in ready]
    if missing:
        print(f"no released notebook or examples for: {', '.join(missing)} (ready: {', '.join(ready)})")
        return 2
    base = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="graders-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    print(f"courses under {base}; {os.cpu_count()} CPUs; jobs={args.jobs}")
    try:
        if args.scheduler:
            ok = cluster_main(names, args.n, args.scheduler, base)
        else:
            ok = all([bench(name, args.n, args.jobs, base) for name in names])
    finally:
        if not args.keep and not args.root:
            shutil.rmtree(base, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
