"""A notebook kernel forked by the kernel zygote (graders/grading/_kernel_zygote.py) is the kernel
``python -m ipykernel_launcher`` would have started.

The same notebook runs twice through the autograder's Execute preprocessor: the plain way
(``GRADERS_ZYGOTE=off``) and from the zygote; what its cells print must be the same.
"""
from __future__ import annotations

import re
import tempfile
from pathlib import Path

import nbformat
import psutil
import pytest

from graders.grading import kernels
from graders.grading.plugins import Execute
from graders.sandbox import Zygote

pytestmark = pytest.mark.skipif(not kernels.usable(), reason="no kernel zygote here (namespaces mode only)")

PROBE = '''
import os, resource, signal, sys
print("argv", sys.argv[0].rsplit("/", 1)[-1], sys.argv[1:2], len(sys.argv))
print("name", __name__, type(get_ipython()).__name__)
print("cwd", os.getcwd())
print("path", [p for p in sys.path if "site-packages" not in p and "python3" not in p])
print("ids", os.getuid() == 0, os.getuid() == os.getgid() == os.stat(".").st_uid, os.getgroups(),
      "session leader", os.getsid(0) == os.getpid())
print("signals", [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGPIPE, signal.SIGCHLD, signal.SIGTERM)])
print("environment", sorted(os.environ))
print("home", os.environ.get("HOME"), os.environ.get("IPYTHONDIR"), os.environ.get("SECRET"))
print("limits", resource.getrlimit(resource.RLIMIT_AS), resource.getrlimit(resource.RLIMIT_NPROC))
print("umask", oct(os.umask(0o022)))
print("stdin", sys.stdin is None or sys.stdin.closed if hasattr(sys.stdin, "closed") else sys.stdin)
print("parent is the poller's", int(os.environ["JPY_PARENT_PID"]) == os.getppid())
'''


def execute(source: list[str], *, zygote: bool, monkeypatch) -> tuple[list[str], dict]:
    monkeypatch.setenv("GRADERS_ZYGOTE", "on" if zygote else "off")
    monkeypatch.setenv("GRADERS_AUTOGRADE", "1")  # Execute sets it in this process; undone after the test
    monkeypatch.setenv("SECRET", "42")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(text) for text in source]
    with tempfile.TemporaryDirectory() as tmp:
        resources = {"metadata": {"path": tmp}}
        nb, resources = Execute(timeout=30).preprocess(nb, resources)
    outputs = []
    for cell in nb.cells:
        text = "".join(o.get("text", "") + "".join(o.get("traceback", [])) for o in cell.get("outputs", []))
        outputs.append(re.sub(r"/tmp/[^/\s'\"]+", "TMP", text))
    return outputs, resources.get("graders", {})


def test_a_forked_kernel_shows_a_cell_what_a_started_one_shows_it(monkeypatch):
    plain, plain_state = execute([PROBE], zygote=False, monkeypatch=monkeypatch)
    forked, forked_state = execute([PROBE], zygote=True, monkeypatch=monkeypatch)
    assert "parent is the poller's True" in plain[0], plain[0]
    assert "home TMP" in plain[0] and " 42" in plain[0], plain[0]
    assert forked[0].splitlines() == plain[0].splitlines()
    assert forked_state.get("kernel") == plain_state.get("kernel") is None
    assert any(z.pid for z in Zygote._running.values() if isinstance(z, kernels.KernelZygote))


def test_a_kernel_that_exits_or_hangs_is_reported_the_same_way(monkeypatch):
    cells = ["x = 1", "import os; os._exit(3)", "print('not run')"]
    plain, plain_state = execute(cells, zygote=False, monkeypatch=monkeypatch)
    forked, forked_state = execute(cells, zygote=True, monkeypatch=monkeypatch)
    assert "died while running cell 2" in plain_state["kernel"]
    assert forked_state["kernel"] == plain_state["kernel"]
    assert forked == plain


def test_an_interrupted_cell_is_interrupted_in_a_forked_kernel(monkeypatch):
    monkeypatch.setenv("GRADERS_ZYGOTE", "on")
    monkeypatch.setenv("GRADERS_AUTOGRADE", "1")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import time\ntime.sleep(60)"), nbformat.v4.new_code_cell("print(1)")]
    with tempfile.TemporaryDirectory() as tmp:
        nb, resources = Execute(timeout=2, interrupt_on_timeout=True).preprocess(nb, {"metadata": {"path": tmp}})
    assert "did not finish within 2 s" in resources["graders"]["kernel"]
    # nbclient interrupted the cell (SIGINT to the kernel's process group) rather than killing it
    assert any("KeyboardInterrupt" in "".join(o.get("traceback", [])) or o.get("ename") == "CellTimeoutError"
               for o in nb.cells[0].outputs), nb.cells[0].outputs
    kernels_left = [p for z in Zygote._running.values() if isinstance(z, kernels.KernelZygote)
                    for p in psutil.Process(z.pid).children()]
    assert not kernels_left


WORKER = '''
import json, os, sys, tempfile
from jupyter_client.connect import write_connection_file
from graders.grading import kernels
path, key = sys.argv[1], json.loads(sys.argv[2])
kernels.use_shared(path, key)
connection, _ = write_connection_file(tempfile.mktemp(suffix=".json"), ip="127.0.0.1")
kernel = kernels.launch([sys.executable, "-m", "ipykernel_launcher", "-f", connection], None, None, os.getcwd())
print(kernel.pid, flush=True)
sys.stdin.read()  # until the test kills us
'''


def test_a_batch_worker_forks_its_kernels_from_the_batch_zygote_and_they_die_with_the_worker(tmp_path):
    import json
    import subprocess
    import sys
    path, key = kernels.shared_path()
    zygote = next(z for z in Zygote._running.values() if getattr(z, "listen", None) == path)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, path, json.dumps(key)], cwd=tmp_path,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        kernel = psutil.Process(int(worker.stdout.readline()))
        assert kernel.ppid() == zygote.pid  # not a zygote of the worker's own
        assert not [p for p in psutil.Process(worker.pid).children() if "_zygote" in " ".join(p.cmdline())]
    finally:
        worker.kill()
        worker.wait()
    gone, alive = psutil.wait_procs([kernel], timeout=10)
    assert not alive, "the kernel outlived the worker that asked for it"
