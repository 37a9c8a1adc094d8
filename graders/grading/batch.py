"""Autograde a whole class with nbgrader: in parallel, resumably, on this machine or a cluster.

nbgrader's own ``autograde`` grades one submission after another (nbgrader
issue #174).  Here every submission is a task (:mod:`graders.grading.worker`): a
worker runs nbgrader's ``Autograde`` converter in-process on a scratch copy of
the course and sends back the autograded files; this process, the only
writer of ``gradebook.db`` (SQLite has one writer), saves them with nbgrader's
own ``SaveAutoGrades`` and ``AssignLatePenalties`` (:func:`record`).  Every
grade comes from nbgrader itself, so the gradebook is the same as a serial
``nbgrader autograde`` run's.

Where the tasks run:

* by default, a pool of long-lived worker processes on this machine
  (``--jobs``; each pays nbgrader's imports once and dies with the batch);
* with ``--scheduler tcp://HOST:8786``, the workers of a Dask distributed
  cluster (``pip install '.[cluster]'``; Slurm, PBS or Kubernetes clusters
  start ordinary Dask workers through dask-jobqueue or dask-kubernetes).  A
  worker that dies mid-task is replaced and Dask runs its task again
  elsewhere; since only this process records results, nothing is lost or
  graded twice.  A worker that cannot isolate student code refuses its tasks
  unless ``--allow-fallback`` is given.  When the cluster has no worker left,
  the batch waits for one (``--worker-wait``, :data:`WORKER_WAIT` seconds; the
  progress bar says so), then stops with one line: how many submissions were
  not graded, and that running the same command again grades them.

Either way:

* progress is shown with a bar; each submission ends as ``graded`` (maybe
  with a note: the kernel died, a cell hung) or ``failed`` with the reason,
  never as a silent 0;
* the batch's state is kept in ``ROOT/.graders/ASSIGNMENT.json``, written
  after every recorded submission (atomically).  Interrupting the batch
  (Ctrl-C, ``kill -9``) loses at most the gradings under way; run the same
  command again and it grades only what is left.  ``--student ID`` regrades
  one student; ``--force`` regrades everyone;
* nbgrader's log of each grading goes to ``ROOT/.graders/logs/ASSIGNMENT/ID.log``,
  and every recorded grading is appended to ``ROOT/.graders/ASSIGNMENT.journal``
  (JSON lines: who, which worker, how long), an audit trail across reruns.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import json
import multiprocessing
import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from graders.grading import diagnose
from graders.course.paths import SOLUTIONS
from graders.grading.worker import CannotIsolate, Result, Task, read_tree

STUDENT_TIMEOUT = 15 * 60  # seconds one submission may take on a worker, in all
WORKER_WAIT = 120.0  # seconds a batch on a Dask cluster without workers waits for one (--worker-wait)


class WorkersLost(RuntimeError):
    """The Dask cluster had no worker for ``worker_wait`` seconds: the batch stopped.

    ``not_graded``: the students whose submissions were not graded (nothing of
    theirs was recorded; a rerun of the batch grades them).  ``str()`` is the
    one line to show.
    """

    def __init__(self, message: str, not_graded: list[str]) -> None:
        super().__init__(message)
        self.not_graded = not_graded


class _NoWorkers(Exception):
    """Raised by :meth:`DaskCluster.as_completed`: no worker for the whole wait."""

    def __init__(self, pending: list, waited: float) -> None:
        super().__init__(f"no worker for {waited:.0f} s")
        self.pending, self.waited = pending, waited


@dataclass
class Outcome:
    student: str
    status: str  # "graded" or "failed"
    reason: str = ""  # why it failed, or a note on a graded one
    seconds: float = 0.0  # wall time of the grading on its worker
    cpu_seconds: float = 0.0  # CPU time of the grading (worker, kernel, sandboxes)
    worker: str = ""  # host:pid of the worker that graded it


class State:
    """The batch's record of finished submissions, saved after each one."""

    def __init__(self, root: Path, assignment: str) -> None:
        self.path = root / ".graders" / f"{assignment}.json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.outcomes: dict[str, Outcome] = {}
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                self.outcomes = {k: Outcome(**v) for k, v in data.items()}
            except (ValueError, TypeError):
                self.outcomes = {}

    def record(self, outcome: Outcome) -> None:
        self.outcomes[outcome.student] = outcome
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: asdict(v) for k, v in sorted(self.outcomes.items())}, indent=1))
        os.replace(tmp, self.path)


def submitted_students(root: Path, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in (root / "submitted").glob(f"*/{assignment}") if p.is_dir())


def already_graded(root: Path, assignment: str, student: str) -> bool:
    """Whether ``autograded/STUDENT/ASSIGNMENT`` holds the grading of the submission collected now.

    True when it has a notebook and the same ``timestamp.txt`` as
    ``submitted/STUDENT/ASSIGNMENT`` (nbgrader's collect writes it, its
    autograde copies it): whoever graded it (this batch, Formgrader's
    *autograde* button, ``nbgrader autograde``).  Without timestamps: when
    the autograded folder is newer than every submitted file.  A submission
    collected again after grading is not graded yet (unless the batch's
    own record says it graded that student).
    """
    submitted = root / "submitted" / student / assignment
    graded = root / "autograded" / student / assignment
    if not graded.is_dir() or not any(graded.glob("*.ipynb")):
        return False
    stamps = [folder / "timestamp.txt" for folder in (submitted, graded)]
    if all(stamp.is_file() for stamp in stamps):
        return stamps[0].read_text().strip() == stamps[1].read_text().strip()
    newest = max((p.stat().st_mtime for p in submitted.rglob("*") if p.is_file()), default=0.0)
    return min(p.stat().st_mtime for p in graded.glob("*.ipynb")) >= newest


def give_back(root: Path) -> int:
    """Give what root wrote in the course ``root`` to the owner of ``root``; returns how many paths changed.

    The batch runs as root (each sandbox then gets its own uid); the
    autograded notebooks, the gradebook, logs and exports it writes must stay
    the instructor's (who otherwise runs ``chown -R``).  Symbolic links are
    not followed.  Does nothing unless this process is root.
    """
    if os.geteuid() != 0:
        return 0
    owner = os.stat(root)
    if owner.st_uid == 0:
        return 0
    changed = 0
    for folder, dirs, files in os.walk(root):
        for path in [folder, *(os.path.join(folder, name) for name in dirs + files)]:
            info = os.lstat(path)
            if info.st_uid == 0:
                os.lchown(path, owner.st_uid, owner.st_gid)
                changed += 1
    return changed


def failure_reason(log: str) -> str:
    """The most telling line of a failed nbgrader run's log."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    for line in reversed(lines):
        if ("Error" in line or "error" in line) and "Traceback" not in line and \
                "Please see the" not in line and "There was an error processing" not in line:
            return line[:300]
    return (lines[-1] if lines else "nbgrader failed without a message")[:300]


def notebook_note(nb) -> str:
    """What graders.grading.plugins recorded in an autograded notebook, if anything went wrong there."""
    meta = nb.metadata.get("graders", {})
    notes = list(meta.get("notes", []))
    if meta.get("kernel"):
        notes.append(meta["kernel"])
    checks = meta.get("checks", {})
    errors = [k for k, status in checks.items() if status == "error"]
    if errors:
        notes.append(f"grader error in {', '.join(errors)}")
    return "; ".join(notes)


# -- the instructor's side ------------------------------------------------------

def course_config(root: Path):
    """The workbook's nbgrader configuration for the course in ``root``."""
    from graders.grading.worker import _config
    config = _config(root)
    config.CourseDirectory.source_directory = str(SOLUTIONS)
    return config


def snapshot(root: Path, into: Path) -> Path:
    """A consistent copy of ``ROOT/gradebook.db`` (SQLite's backup API), for the workers to read."""
    source = sqlite3.connect(root / "gradebook.db")
    target = sqlite3.connect(into)
    with contextlib.closing(source), contextlib.closing(target):
        source.backup(target)
    return into


def notebook_names(root: Path, assignment: str, course_id: str) -> list[str]:
    """The assignment's notebooks, as the gradebook knows them (e.g. ``["clock"]``)."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", course_id) as gb:
        return [n.name for n in gb.find_assignment(assignment).notebooks]


def make_task(root: Path, assignment: str, student: str, course_id: str, *, hide: list[str],
              allow_fallback: bool, submission: dict[str, bytes] | None = None) -> Task:
    """The task for one submission; ``submission`` replaces the files read from ``submitted/``."""
    if submission is None:
        submission = read_tree(root / "submitted" / student / assignment)
    return Task(assignment, student, course_id, submission=submission,
                source={k: v for k, v in read_tree(SOLUTIONS / assignment).items() if not k.endswith(".ipynb")},
                hide=hide, allow_fallback=allow_fallback)


def record(root: Path, result: Result, config) -> Outcome:
    """Save one worker's result: the autograded files, and the grades through nbgrader's preprocessors.

    Only this function writes ``gradebook.db`` and ``autograded/``.  Returns
    the Outcome (``failed`` with the reason when the worker could not grade).
    """
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import AssignLatePenalties

    assignment, student = result.assignment, result.student
    log_path = root / ".graders" / "logs" / assignment / f"{student}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text(result.log + (f"\n{result.error}\n" if result.error else ""), errors="replace")
    base = dict(seconds=result.seconds, cpu_seconds=result.cpu_seconds, worker=result.worker)
    if not result.ok:
        reason = explain_failure(result, root)
        return Outcome(student, "failed", reason, **base)
    target = root / "autograded" / student / assignment
    staging = Path(tempfile.mkdtemp(prefix=f".{student}-", dir=target.parent if target.parent.exists() else None))
    try:
        from graders.grading.worker import write_tree
        write_tree(staging, result.autograded)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(target))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    coursedir = CourseDirectory(config=config)
    db_url = f"sqlite:///{root / 'gradebook.db'}"
    timestamp = coursedir.get_existing_timestamp(str(root / "submitted" / student / assignment))
    notes = []
    with Gradebook(db_url, config.CourseDirectory.course_id) as gb:
        gb.update_or_create_student(student)
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
        notebooks = [n.name for n in gb.find_assignment(assignment).notebooks]
    for name in notebooks:
        path = target / f"{name}.ipynb"
        resources = {"nbgrader": {"notebook": name, "assignment": assignment, "student": student,
                                  "db_url": db_url}}
        if not path.exists():
            with Gradebook(db_url) as gb:  # nbgrader autograde gives a missing notebook 0
                with contextlib.suppress(MissingEntry):
                    for grade in gb.find_submission_notebook(name, assignment, student).grades:
                        grade.auto_score = 0
                        grade.needs_manual_grade = False
                    gb.db.commit()
            notes.append(f"{name}.ipynb was not submitted: 0 points")
            continue
        nb = nbformat.read(str(path), as_version=4)
        _save_auto_grades_at_once()(config=config).preprocess(nb, resources)
        AssignLatePenalties(config=config).preprocess(nb, resources)
        note = notebook_note(nb)
        if note:
            notes.append(note)
    return Outcome(student, "graded", "; ".join(notes), **base)


@functools.cache
def _save_auto_grades_at_once() -> type:
    """nbgrader's ``SaveAutoGrades``, with one commit per notebook instead of one per cell.

    It saves the same grades and comments; a notebook's grades are saved all
    together or not at all, and the gradebook pays one SQLite commit (a
    journal written and synced) per notebook, not one per grade cell.
    """
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import NbGraderPreprocessor, SaveAutoGrades

    class FlushOnCommit:
        """A session whose ``commit()`` only flushes, so later queries still see the changes."""

        def __init__(self, session) -> None:
            self.session = session

        def commit(self) -> None:
            self.session.flush()

        def __getattr__(self, name: str):
            return getattr(self.session, name)

    class SaveAutoGradesAtOnce(SaveAutoGrades):
        def preprocess(self, nb, resources):
            info = resources["nbgrader"]
            self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
            self.student_id, self.db_url = info["student"], info["db_url"]
            self.gradebook = Gradebook(self.db_url)
            with self.gradebook:
                session = self.gradebook.db
                self.gradebook.db = FlushOnCommit(session)
                try:
                    nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
                finally:
                    self.gradebook.db = session
                session.commit()
            return nb, resources

    return SaveAutoGradesAtOnce


def explain_failure(result: Result, root: Path) -> str:
    """Why a grading failed, in words an instructor can act on."""
    try:
        from graders.grading import diagnose
    except ImportError:
        diagnose = None
    if diagnose is not None and hasattr(diagnose, "explain_result"):
        with contextlib.suppress(Exception):
            return diagnose.explain_result(result, root)
    if result.error and "Traceback" not in result.error:
        return result.error[:300]
    return failure_reason(result.log + "\n" + result.error)


# -- where the tasks run --------------------------------------------------------

def _worker_context():
    """How local workers start: forked from a server process that loaded nbgrader and our plug-ins
    once (Linux's ``forkserver``, preloading :mod:`graders.grading._forkserver`), else spawned."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["graders.grading._forkserver"])
        return context
    return multiprocessing.get_context("spawn")


class LocalPool:
    """Long-lived worker processes on this machine (they die with the batch)."""

    def __init__(self, jobs: int, log: Path) -> None:
        from graders.grading import kernels
        from graders.grading import worker
        self.jobs = jobs
        log.parent.mkdir(parents=True, exist_ok=True)
        # One kernel zygote for all the workers (its imports cost a second of CPU), started now,
        # while the forkserver starts too.
        kernel_zygote = kernels.shared_path()
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=_worker_context(),
            initializer=worker.init_local,
            initargs=(os.getpid(), str(log), dict(os.environ), os.getcwd(), kernel_zygote))
        self.gradebook: str = ""
        # Start the workers now, from another thread (the first submit waits for the forkserver's
        # imports): they load and start their zygotes while this process reads the submissions.
        self._starting = threading.Thread(target=self.pool.submit, args=(worker.ready,), daemon=True)
        self._starting.start()

    def share(self, gradebook: Path) -> None:
        self.gradebook = str(gradebook)

    def submit(self, task: Task):
        from graders.grading import worker
        return self.pool.submit(worker.grade, task, self.gradebook)

    def as_completed(self, futures):
        return concurrent.futures.as_completed(futures)

    def describe(self) -> str:
        return f"{self.jobs} local worker process{'es' if self.jobs > 1 else ''}"

    def close(self) -> None:
        """Stop the workers: an idle one exits by itself (stopping its sandboxes' zygote, whose CPU
        time then counts in ours); one in the middle of a grading (an interrupted batch) is killed."""
        self._starting.join()
        processes = list(getattr(self.pool, "_processes", {}).values())
        busy = any(not item.future.done() for item in list(getattr(self.pool, "_pending_work_items", {}).values()))
        self.pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + (0 if busy else 10)
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(max(deadline - time.monotonic(), 0))
        for proc in processes:
            with contextlib.suppress(Exception):
                if proc.is_alive():
                    proc.kill()
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(10)


class DaskCluster:
    """The workers of a Dask distributed scheduler (``tcp://HOST:8786``).

    The gradebook snapshot goes to the workers as the result of a task (not
    scattered data): when every worker that held it is gone, the scheduler
    computes it again on the next worker, and the gradings that need it run
    there (scattered data would be lost with its last holder, and every task
    that needs it cancelled).  While the cluster has no worker,
    :meth:`as_completed` waits up to ``worker_wait`` seconds for one.
    """

    def __init__(self, address: str, worker_wait: float = WORKER_WAIT) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise SystemExit("--scheduler needs Dask distributed: pip install '.[cluster]'") from exc
        self.client = Client(address, timeout=30)
        self.address = address
        self.gradebook = None
        self.worker_wait = worker_wait
        self.on_wait = lambda message: None  # told "" when workers are back (the batch's progress bar)

    def share(self, gradebook: Path) -> None:
        from graders.grading import worker
        self.gradebook = self.client.submit(worker.gradebook_bytes, gradebook.read_bytes(), pure=False,
                                            key=f"gradebook-{os.urandom(4).hex()}")

    def submit(self, task: Task):
        from graders.grading import worker
        return self.client.submit(worker.grade, task, self.gradebook, pure=False,
                                  key=f"grade-{task.assignment}-{task.student}-{os.urandom(4).hex()}")

    def as_completed(self, futures):
        """Yield each future when it is done; raise :class:`_NoWorkers` (with the futures not done)
        after ``worker_wait`` seconds without a worker in the cluster."""
        from distributed import wait
        pending, alone_since = list(futures), None
        while pending:
            try:
                done = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            except Exception:  # a future was cancelled (wait raises for it): it is done, its result() says why
                done = {f for f in pending if f.done()}
                if not done:
                    raise
            if done:
                pending = [f for f in pending if f not in done]
                yield from (f for f in futures if f in done)
                continue
            if self._workers() > 0:
                if alone_since is not None:
                    alone_since = None
                    self.on_wait("")
                continue
            if alone_since is None:
                alone_since = time.monotonic()
                self.on_wait(f"no Dask worker left: waiting up to {self.worker_wait:g} s for one")
            if time.monotonic() - alone_since >= self.worker_wait:
                with contextlib.suppress(Exception):  # the scheduler may be gone too
                    self.client.cancel(pending)
                raise _NoWorkers(pending, time.monotonic() - alone_since)

    def _workers(self) -> int:
        try:
            return len(self.client.nthreads())
        except Exception:  # noqa: BLE001 - the scheduler did not answer: count no worker
            return 0

    def describe(self) -> str:
        workers = self.client.scheduler_info().get("workers", {})
        return f"{len(workers)} Dask worker{'s' if len(workers) != 1 else ''} at {self.client.scheduler.address}"

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close(timeout=10)


def open_executor(root: Path, jobs: int, scheduler: str | None = None, worker_wait: float = WORKER_WAIT):
    """Where tasks run: a :class:`LocalPool` of ``jobs`` processes, or the Dask cluster at ``scheduler``
    (which waits up to ``worker_wait`` seconds for a worker when it has none).

    Close it with ``.close()``.  The pool runs one grading at a time where
    there are no namespaces (the fallback shares this machine's ports).
    """
    from graders.sandbox import isolation_mode
    if scheduler:
        return DaskCluster(scheduler, worker_wait)
    if isolation_mode() != "namespaces":
        jobs = 1
    return LocalPool(max(1, jobs), root / ".graders" / "logs" / "workers.log")


def default_jobs() -> int:
    """Gradings in flight on this machine: twice the CPUs, and one more.  A grading waits on its
    kernel and on its servers' sockets (the clock's next second) much of its time; measured with
    benchmarks/batch.py on 2 CPUs, 5 gradings kept both busy where 3 left a fifth of them idle."""
    return 2 * (os.cpu_count() or 1) + 1


class Batch:
    def __init__(self, root: Path, assignment: str, students: list[str], jobs: int,
                 progress: bool = True, scheduler: str | None = None, allow_fallback: bool = False,
                 executor=None, worker_wait: float = WORKER_WAIT) -> None:
        self.root = root
        self.assignment = assignment
        self.students = students
        self.jobs = max(1, jobs)
        self.state = State(root, assignment)
        self.progress = progress
        self.scheduler = scheduler
        self.allow_fallback = allow_fallback
        self.workers_used: set[str] = set()
        self.description = ""
        self.executor = executor  # a LocalPool or DaskCluster shared by several batches (the demo)
        self.worker_wait = worker_wait
        self.not_graded: list[str] = []  # what a cluster without workers left undone (WorkersLost)

    def finish(self, outcome: Outcome, bar) -> None:
        """Record one submission's outcome (state file, journal, progress bar)."""
        if outcome.worker:
            self.workers_used.add(outcome.worker)
        self.state.record(outcome)
        self.journal(outcome)
        bar.update(1)
        if outcome.status == "failed":
            bar.write(f"  {outcome.student}: failed: {outcome.reason}")

    def journal(self, outcome: Outcome) -> None:
        """Append the outcome to ``ROOT/.graders/ASSIGNMENT.journal`` (one JSON line per recorded grading)."""
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **asdict(outcome)})
        with open(self.state.path.with_suffix(".journal"), "a") as f:
            f.write(line + "\n")

    def run(self) -> list[Outcome]:
        import warnings
        from sqlalchemy.exc import SAWarning
        with warnings.catch_warnings():
            # nbgrader's gradebook warns about its own ORM use on every submission; nothing to act on
            warnings.simplefilter("ignore", SAWarning)
            return self._run()

    def _run(self) -> list[Outcome]:
        from graders.sandbox import isolation_mode
        allow_fallback = self.allow_fallback
        if self.scheduler is None and isolation_mode() != "namespaces":
            # servers share this machine's ports: one grading at a time (docs/isolation.md)
            self.jobs = 1
            allow_fallback = True
        # first: local workers start (and load nbgrader) while this process does the same
        executor = self.executor or open_executor(self.root, min(self.jobs, len(self.students)), self.scheduler,
                                                  self.worker_wait)
        from tqdm import tqdm

        from graders.grading.worker import tune_nbgrader
        tune_nbgrader()  # record() opens the gradebook several times per submission
        config = course_config(self.root)
        course_id = config.CourseDirectory.course_id
        bar = tqdm(total=len(self.students), desc=f"autograde {self.assignment}", unit="submission",
                   disable=not self.progress, file=sys.stderr)
        if hasattr(executor, "on_wait"):
            def on_wait(message: str) -> None:
                bar.set_postfix_str(message)
                if message and self.progress:
                    bar.write(f"  {message} (--worker-wait)", file=sys.stderr)
            executor.on_wait = on_wait
        snap_dir = Path(tempfile.mkdtemp(prefix="graders-snapshot-"))
        try:
            executor.share(snapshot(self.root, snap_dir / "gradebook.db"))
            hide = [str(self.root)]
            futures = {}
            notebooks = notebook_names(self.root, self.assignment, course_id)
            early_notes: dict[str, list[str]] = {}
            for student in self.students:
                # a misnamed or extra notebook is sorted out, an unreadable one fails here, alone
                arranged = diagnose.arrange(read_tree(self.root / "submitted" / student / self.assignment),
                                            notebooks)
                if arranged.problem:
                    self.finish(Outcome(student, "failed", f"{student}'s {self.assignment}: {arranged.problem}"),
                                bar)
                    continue
                early_notes[student] = list(arranged.notes)
                task = make_task(self.root, self.assignment, student, course_id, hide=hide,
                                 allow_fallback=allow_fallback, submission=arranged.files)
                futures[executor.submit(task)] = student
            try:
                self._collect(executor, futures, config, early_notes, bar)
            except _NoWorkers as exc:
                self.not_graded = sorted(futures[f] for f in exc.pending)
                raise WorkersLost(
                    f"autograde {self.assignment} stopped: {len(self.not_graded)} of {len(self.students)} "
                    f"submission{'s were' if len(self.not_graded) != 1 else ' was'} not graded, because the Dask "
                    f"cluster at {executor.address} had no worker for {exc.waited:.0f} s (--worker-wait); "
                    f"run the same command again to grade only those (what was graded is kept)",
                    self.not_graded) from None
            self.description = executor.describe()
        finally:
            bar.close()
            if self.executor is None:
                executor.close()
            shutil.rmtree(snap_dir, ignore_errors=True)
        return [self.state.outcomes[s] for s in self.students]

    def _collect(self, executor, futures: dict, config, early_notes: dict[str, list[str]], bar) -> None:
        """Record each submission's result as its grading ends."""
        for future in executor.as_completed(list(futures)):
            student = futures[future]
            try:
                result = future.result()
            except CannotIsolate as exc:
                outcome = Outcome(student, "failed", str(exc))
            except Exception as exc:  # noqa: BLE001 - a worker lost for good: say so, go on
                outcome = Outcome(student, "failed", "the worker failed: " + diagnose.explain(
                    exc, student=student, assignment=self.assignment))
            else:
                try:
                    outcome = record(self.root, result, config)
                except Exception as exc:  # noqa: BLE001
                    outcome = Outcome(student, "failed", f"recording the grades failed: "
                                                         f"{type(exc).__name__}: {exc}",
                                      result.seconds, result.cpu_seconds, result.worker)
            outcome.reason = "; ".join([*early_notes.get(student, []), *([outcome.reason] if outcome.reason else [])])
            self.finish(outcome, bar)


def grade(root: Path, assignment: str, *, students: list[str] | None = None, jobs: int = 0,
          force: bool = False, progress: bool = True, scheduler: str | None = None,
          allow_fallback: bool = False, executor=None, worker_wait: float = WORKER_WAIT) -> list[Outcome]:
    """Autograde ``assignment`` for ``students`` (default: every submission) in ``root``.

    Submissions already graded (:func:`already_graded`: by an earlier, maybe
    interrupted, batch or by Formgrader's button) are kept unless ``force`` or
    named in ``students``.  Run as root, what it writes is given to the owner
    of ``root`` (:func:`give_back`).  ``scheduler``: a Dask
    scheduler's address to grade on its workers instead of this machine;
    ``worker_wait``: seconds to wait for a worker when that cluster has none;
    ``executor``: an :func:`open_executor` to reuse (its workers stay up for
    the next batch).  Returns one Outcome per student.  Raises KeyError for an
    unknown student, :class:`WorkersLost` when the cluster had no worker for
    ``worker_wait`` seconds (what was graded until then is recorded).
    """
    root = Path(root).resolve()
    everyone = submitted_students(root, assignment)
    state = State(root, assignment)
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise KeyError(f"no submission of {assignment} from: {', '.join(unknown)}")
        todo = list(students)
    elif force:
        todo = everyone
    else:
        todo = [s for s in everyone if not (s in state.outcomes and state.outcomes[s].status == "graded")
                and not already_graded(root, assignment, s)]
        if progress and len(todo) < len(everyone):
            print(f"{len(everyone) - len(todo)} submission(s) of {assignment} already graded, kept "
                  f"(--force grades them again)", file=sys.stderr)
    try:
        if todo:
            batch = Batch(root, assignment, todo, jobs or default_jobs(), progress, scheduler, allow_fallback,
                          executor, worker_wait)
            batch.run()
            if progress:
                used = len(batch.workers_used)
                print(f"graded on {batch.description}; {used} worker{'s' if used != 1 else ''} did the work",
                      file=sys.stderr)
    finally:
        give_back(root)
    state = State(root, assignment)
    return [state.outcomes[s] for s in everyone if s in state.outcomes]


def write_class_report(root: Path) -> Path | None:
    """ROOT/report.html and ROOT/check_results.csv for every assignment a batch graded here."""
    from graders import assignments
    from graders.reports import class_report as report
    root = Path(root)
    graded = [n for n in assignments.NAMES if (root / ".graders" / f"{n}.json").exists()]
    return report.write_report(root, graded) if graded else None


def main(args: argparse.Namespace) -> int:
    try:
        outcomes = grade(Path(args.root), args.assignment, students=args.student, jobs=args.jobs,
                         force=args.force, scheduler=getattr(args, "scheduler", None),
                         allow_fallback=getattr(args, "allow_fallback", False),
                         worker_wait=getattr(args, "worker_wait", WORKER_WAIT))
    except WorkersLost as exc:
        print(exc, file=sys.stderr)
        return 1
    width = max([len(o.student) for o in outcomes] + [7])
    for o in outcomes:
        note = f"  ({o.reason})" if o.reason else ""
        print(f"{o.student:<{width}}  {o.status:<6}  {o.seconds:6.1f}s{note}")
    written = write_class_report(Path(args.root))
    if written:
        print(f"class report: {written} (and check_results.csv)")
    from graders.reports.gradescope import write_results
    results = write_results(Path(args.root), args.assignment, Path(args.root) / "exports")
    if results:
        print(f"Gradescope results.json: {len(results)} under {Path(args.root) / 'exports' / 'gradescope'}")
    give_back(Path(args.root).resolve())  # the report and the exports too
    return 0 if all(o.status == "graded" for o in outcomes) else 1
