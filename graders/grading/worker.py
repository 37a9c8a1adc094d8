"""One submission's autograding, as a task that a worker process runs.

The batch (:mod:`graders.grading.batch`) splits ``nbgrader autograde`` in two:

* **on a worker** (a long-lived process of the local pool, or a Dask worker on
  another machine), :func:`grade` runs nbgrader's own ``Autograde`` converter,
  in-process, on a private scratch copy of the course: the submission's files,
  the assignment's source files and a snapshot of the gradebook (without
  ``SaveAutoGrades`` and ``AssignLatePenalties``, which only the instructor's
  machine runs, on the real gradebook).  That is the
  expensive part (the kernel runs the notebook; the trusted checks grade the
  server in sandboxes) and it needs nothing from the instructor's machine but
  what the task carries, so it can run anywhere;
* **on the instructor's machine**, :func:`graders.grading.batch.record` writes the
  autograded files and saves the grades into the one real ``gradebook.db``
  with nbgrader's own ``SaveAutoGrades`` and ``AssignLatePenalties``
  preprocessors.  SQLite has one writer, and a task that a dead worker ran
  halfway (and Dask ran again elsewhere) never wrote anything.

A worker process pays nbgrader's imports once (local workers: once per batch,
in the forkserver they are forked from), not once per submission as a
``nbgrader`` process per submission did; its notebook kernels are forked from
a kernel zygote (:mod:`graders.grading.kernels`), its gradebooks share one
SQLAlchemy engine and nbgrader's cell metadata schema is compiled once
(:func:`tune_nbgrader`).  It grades one
submission at a time (:data:`_ONE_AT_A_TIME`): nbgrader and the kernel
environment use process-wide state (``os.environ``, the current directory).

A worker that cannot isolate student code (no namespaces: the ``fallback``
mode of :mod:`graders.sandbox`) refuses tasks with :class:`CannotIsolate`
unless the task allows the fallback explicitly.  ``dask worker --preload
graders.grading.worker`` prints what the worker can isolate when it starts.
"""
from __future__ import annotations

import base64
import contextlib
import os
import resource
import shutil
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_ONE_AT_A_TIME = threading.Lock()
RECORDED_BY_THE_BATCH = ("nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties")


class CannotIsolate(RuntimeError):
    """This worker cannot sandbox student code (no Linux namespaces here)."""


@dataclass
class Task:
    """Everything a worker needs to autograde one submission (picklable, no paths of ours).

    ``submission``, ``source``: relative path -> bytes of the student's
    ``submitted/STUDENT/ASSIGNMENT/`` folder and of the assignment's source
    folder.  ``hide``: paths on the worker that student code must not see (the
    instructor's course root, when the worker shares its machine).
    """

    assignment: str
    student: str
    course_id: str
    submission: dict[str, bytes]
    source: dict[str, bytes]
    hide: list[str] = field(default_factory=list)
    allow_fallback: bool = False


@dataclass
class Result:
    """What the instructor's machine needs back: the autograded files and how it went."""

    assignment: str
    student: str
    ok: bool
    autograded: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes
    log: str = ""  # nbgrader's log of this grading
    error: str = ""  # why it failed (ok is False)
    seconds: float = 0.0  # wall time on the worker
    cpu_seconds: float = 0.0  # CPU of the worker and what it started (not a shared kernel zygote's kernels)
    worker: str = ""  # host:pid
    isolation: str = ""


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` as relative path -> bytes (no checkpoints or caches)."""
    files = {}
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and not {".ipynb_checkpoints", "__pycache__"} & set(path.parts):
            files[str(path.relative_to(folder))] = path.read_bytes()
    return files


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = Path(folder) / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise ValueError(f"refusing to write outside {folder}: {name}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def isolation_report() -> str:
    """One line saying what this machine's sandboxes enforce (for start-up messages)."""
    from graders.sandbox import guarantees, isolation_mode
    mode = isolation_mode()
    kept = [name.replace("_", " ") for name, held in guarantees().items() if held]
    return f"isolation mode {mode}: " + (", ".join(kept) if kept else "nothing enforced")


def _cpu() -> float:
    """CPU seconds of this process, its ended children, and the sandboxes its zygotes ran."""
    from graders.sandbox import Zygote
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime + Zygote.cpu_total()


@contextlib.contextmanager
def _environment(hide: list[str]):
    """nbgrader's environment for one grading: alembic on PATH, the hidden paths, no stale flag."""
    saved = dict(os.environ)
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    os.environ.pop("GRADERS_AUTOGRADE", None)
    if hide:
        os.environ["GRADERS_HIDE"] = os.pathsep.join(hide)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _config(root: Path):
    """The workbook's nbgrader configuration (nbgrader_config.py) for the scratch course ``root``."""
    from traitlets.config.loader import PyFileConfigLoader
    config = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = str(root / "source")
    config.CourseDirectory.release_directory = str(root / "release")
    return config


def grade(task: Task, gradebook: bytes | str) -> Result:
    """Autograde ``task`` with nbgrader, in this process; never raises for a bad submission.

    ``gradebook``: the instructor's ``gradebook.db`` (its bytes, or the path of
    a snapshot this machine can read), used read-only for the instructor's
    cells and points.  Raises :class:`CannotIsolate` when this machine cannot
    sandbox student code and the task does not allow the fallback.
    """
    from graders.sandbox import isolation_mode
    mode = isolation_mode()
    if mode != "namespaces" and not task.allow_fallback:
        raise CannotIsolate(
            f"worker {socket.gethostname()}:{os.getpid()} cannot isolate student code ({isolation_report()}); "
            "run workers as root or with user namespaces, or allow the fallback mode explicitly "
            "(--allow-fallback)")
    with _ONE_AT_A_TIME:
        began, cpu = time.monotonic(), _cpu()
        result = Result(task.assignment, task.student, ok=False, worker=f"{socket.gethostname()}:{os.getpid()}",
                        isolation=mode)
        scratch = Path(tempfile.mkdtemp(prefix="graders-task-"))
        try:
            result.ok, result.log, result.error = _autograde(task, gradebook, scratch)
            done = scratch / "autograded" / task.student / task.assignment
            if result.ok:
                result.autograded = read_tree(done)
        except Exception as exc:  # noqa: BLE001 - a bad submission must not kill the worker
            result.ok, result.error = False, f"{type(exc).__name__}: {exc}"
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
            result.seconds = round(time.monotonic() - began, 3)
            result.cpu_seconds = round(_cpu() - cpu, 3)
        return result


def _autograde(task: Task, gradebook: bytes | str, scratch: Path) -> tuple[bool, str, str]:
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.utils import capture_log
    write_tree(scratch / "submitted" / task.student / task.assignment, task.submission)
    write_tree(scratch / "source" / task.assignment, task.source)
    db = _private_dir() / "gradebook.db"  # the same path for every task: see share_gradebook_engines()
    if isinstance(gradebook, bytes):
        db.write_bytes(gradebook)
    else:
        shutil.copyfile(gradebook, db)
    config = _config(scratch)
    # The grades go into the instructor's gradebook on the instructor's machine (graders.grading.batch.record
    # runs these two there); saving them into this scratch copy too would be work thrown away.
    config.Autograde.autograde_preprocessors = [p for p in config.Autograde.autograde_preprocessors
                                                if p not in RECORDED_BY_THE_BATCH]
    config.CourseDirectory.course_id = task.course_id
    config.CourseDirectory.db_url = f"sqlite:///{db}"
    config.CourseDirectory.assignment_id = task.assignment
    config.CourseDirectory.student_id = task.student
    with _environment(task.hide):
        app = Autograde(coursedir=CourseDirectory(config=config), config=config)
        app.force = True
        app.create_student = True
        outcome = capture_log(app)
    log = outcome.get("log", "")
    if outcome.get("success"):
        return True, log, ""
    return False, log, outcome.get("error", "") or "nbgrader autograde failed"


_PRIVATE: list[Path] = []


def _private_dir() -> Path:
    """This process's own temporary folder (mode 0700, made once, removed at exit)."""
    if not _PRIVATE or not _PRIVATE[0].is_dir():
        import atexit
        _PRIVATE[:] = [Path(tempfile.mkdtemp(prefix="graders-worker-"))]
        atexit.register(shutil.rmtree, _PRIVATE[0], True)
    return _PRIVATE[0]


def tune_nbgrader() -> None:
    """Take out two costs that nbgrader 0.9 pays again for every submission, in this process;
    what it computes is unchanged.  Idempotent.

    * :func:`share_gradebook_engines`: SQLAlchemy compiles each query once, not once per gradebook;
    * :func:`compile_metadata_schema_once`: ``CheckCellMetadata`` validates every cell's
      ``nbgrader`` metadata without checking the schema itself first.
    """
    share_gradebook_engines()
    compile_metadata_schema_once()


def compile_metadata_schema_once() -> None:
    """Make nbgrader validate cell metadata with one compiled validator per schema.

    ``nbgrader.nbgraderformat`` calls ``jsonschema.validate(metadata, schema)`` for
    every cell, which first checks ``schema`` against the JSON Schema meta-schema:
    a tenth of a worker's CPU per submission.  This keeps the same schema, the same
    validator class (``jsonschema.validators.validator_for``) and the same error
    (``jsonschema.exceptions.best_match`` of the errors, as ``jsonschema.validate``
    raises); the schema is checked once, when its validator is made.  Idempotent.
    """
    import json
    import types

    import jsonschema
    import nbgrader.nbgraderformat.common as common
    if getattr(common.jsonschema, "graders_compiled", False):
        return
    validators, lock = {}, threading.Lock()

    def validate(instance, schema) -> None:
        key = json.dumps(schema, sort_keys=True)
        with lock:
            validator = validators.get(key)
            if validator is None:
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(schema)
                validator = validators[key] = cls(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    common.jsonschema = types.SimpleNamespace(validate=validate, graders_compiled=True)


def share_gradebook_engines() -> None:
    """Make every nbgrader ``Gradebook`` of this process on one SQLite file share one engine.

    A ``Gradebook`` makes a new SQLAlchemy engine each time it is opened
    (nbgrader opens several per submission; ``SaveAutoGrades`` one per
    notebook), and SQLAlchemy's cache of compiled statements belongs to the
    engine: every query was compiled again, a third of the CPU that recording
    grades took.  ``Gradebook.close()`` still closes its connections
    (``Engine.dispose()`` keeps the engine usable).

    Only gradebooks that are the same file on disk share an engine: the key is
    the real path of the file (:func:`shared_engine_key`).  Every other URL
    (``sqlite:///:memory:``, where each engine is a database of its own; a
    relative path, which depends on the current directory when a connection
    opens; another database server) gets a new engine as before, so nothing
    that nbgrader computes changes (``tests/test_nbgrader_suite.py`` runs
    nbgrader's own tests with this applied).  Idempotent.
    """
    import nbgrader.api
    if getattr(nbgrader.api.create_engine, "graders_shared", False):
        return
    original, engines, lock = nbgrader.api.create_engine, {}, threading.Lock()

    def create_engine(url, *args, **kwargs):
        path = shared_engine_key(url)
        if path is None:
            return original(url, *args, **kwargs)
        key = (path, args, tuple(sorted(kwargs.items())))
        with lock:
            if key not in engines:
                engines[key] = original(url, *args, **kwargs)
            return engines[key]

    create_engine.graders_shared = True
    nbgrader.api.create_engine = create_engine


def shared_engine_key(url) -> str | None:
    """The real path of the SQLite file that ``url`` names (``sqlite:////abs/gradebook.db``), or
    None where an engine must not be shared: an in-memory database (``:memory:``, a ``file:`` URI,
    an empty path), a relative path, a URL with query options, another database than SQLite."""
    from sqlalchemy.engine import make_url
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - let nbgrader's own create_engine raise its error
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or parsed.query or not os.path.isabs(database):
        return None
    return os.path.realpath(database)


def encode(result: Result) -> dict:
    """``result`` as JSON-able data (bytes in base64), e.g. for a log."""
    data = dict(result.__dict__)
    data["autograded"] = {k: base64.b64encode(v).decode() for k, v in result.autograded.items()}
    return data


def init_local(parent: int, log: str | None = None, environ: dict[str, str] | None = None,
               cwd: str | None = None, kernel_zygote: tuple[str, dict[str, str]] | None = None) -> None:
    """Initializer of a local pool worker: die with the batch (PR_SET_PDEATHSIG), import nbgrader now
    (forked from graders.grading.batch's forkserver, it has).

    ``log``: a file for what the worker and its kernels print (nbgrader's
    warnings), instead of the batch's terminal.  ``environ``, ``cwd``: the
    batch's now (a forkserver keeps those of when it started).
    ``kernel_zygote``: where the batch's kernel zygote listens, and its start-up
    environment (:func:`graders.grading.kernels.shared_path`).
    """
    if environ is not None:
        os.environ.clear()
        os.environ.update(environ)
    if cwd is not None:
        os.chdir(cwd)
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
    if sys.platform.startswith("linux"):
        import ctypes
        import signal
        # Our parent: the batch, or (forkserver) the server process that exits when the batch does.
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)  # the batch died before we could follow it
        _follow(parent)
    import nbgrader.converters  # noqa: F401 - pay the import once, before the first task
    tune_nbgrader()
    # A pool worker leaves through os._exit (no atexit): stop the sandboxes' zygotes as it exits,
    # so that they end with it and their CPU time is counted in the batch's.
    from multiprocessing.util import Finalize

    from graders.sandbox import Zygote
    Finalize(None, Zygote.stop_all, exitpriority=10)
    from graders.grading import kernels
    if kernel_zygote is not None:
        kernels.use_shared(*kernel_zygote)
    kernels.prewarm()  # the first notebook's kernel need not wait for a zygote's imports


def _follow(batch: int) -> None:
    """Exit when the process ``batch`` ends, whatever this worker is doing then (a result it is
    sending back, which nobody reads any more, must not keep it alive)."""
    try:
        pidfd = os.pidfd_open(batch)
    except (AttributeError, OSError):
        return  # PR_SET_PDEATHSIG alone (the forkserver, our parent, exits with the batch)

    def watch() -> None:
        import select
        select.select([pidfd], [], [])
        os._exit(1)

    threading.Thread(target=watch, name="graders-follow-the-batch", daemon=True).start()


def gradebook_bytes(data: bytes) -> bytes:
    """A task that returns ``data``: how :class:`graders.batch.DaskCluster` hands the gradebook
    snapshot to Dask workers (a task's result is computed again when its holders are gone)."""
    return data


def ready() -> int:
    """A task that does nothing (it starts a pool's workers); returns this worker's pid."""
    return os.getpid()


def dask_setup(worker) -> None:
    """``dask worker --preload graders.grading.worker``: say at start-up what this worker can isolate."""
    line = f"graders worker {worker.address}: {isolation_report()}"
    from graders.sandbox import isolation_mode
    if isolation_mode() != "namespaces":
        line += " -- it will refuse tasks unless the batch allows the fallback mode (--allow-fallback)"
    print(line, flush=True)
    import nbgrader.converters  # noqa: F401
    tune_nbgrader()
