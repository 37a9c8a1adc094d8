"""nbgrader plug-ins: trusted grading during ``nbgrader autograde``.

nbgrader grades an autograder test cell from its outputs in the executed
notebook, which the student's own cells can influence: a cell can redefine a
helper, patch ``socket`` or ``subprocess``, kill or hang the kernel.  Here:

:class:`Execute`
    nbgrader's Execute preprocessor, but a kernel that dies or a cell that
    times out is recorded (``resources["graders"]``) instead of failing the
    whole submission; the cells after it are not run.
:class:`TrustedChecks`
    for every autograder test cell that calls ``check("ASSIGNMENT", "NAME")``
    (its source is the instructor's: nbgrader's OverwriteCells restored it),
    runs the checks here, outside the kernel, on the answer cell's source
    (:mod:`graders.checking.answers`), and replaces the cell's outputs with the verdict:
    a transcript on stdout, then nothing (full credit), a partial-credit
    number, or an error (no credit).  What the kernel printed is discarded.

The notebook's ``metadata.graders`` records the kernel's fate, the isolation
mode and every check's status, for :mod:`graders.grading.batch` and the demo table.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute as NbgraderExecute
from nbgrader.preprocessors import NbGraderPreprocessor

from graders.checking import answers
from graders import assignments
from graders.grading import kernels
from graders.checking.checks import CheckResult, run_checks
from graders.sandbox import (Cgroup, Limits, cgroup_support, default_hidden, drops_privileges, mount_plan,
                      sandbox_uid)

CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\w+)["']\s*,\s*["'](\w+)["']\s*\)""")


class KernelGaveUp(Exception):
    pass


KERNEL_JAIL = Path(__file__).with_name("_kernel_jail.py")
KERNEL_LIMITS = Limits(cpu_seconds=600, address_space_bytes=4 << 30, file_size_bytes=64 << 20,
                       open_files=1024, processes=256, memory_bytes=2 << 30)


class SandboxedKernelManager(AsyncKernelManager):
    """Forks the kernel from this process's kernel zygote (:mod:`graders.grading.kernels`) where it can,
    in the jail ``graders_jail`` when set; else starts it the plain way, through
    ``_kernel_jail.py`` (``graders_prefix``) when set."""

    graders_prefix: list[str] = []
    graders_jail: dict | None = None

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        return [*self.graders_prefix, "--", *command] if self.graders_prefix else command

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        command = kernel_cmd[kernel_cmd.index("--") + 1:] if self.graders_prefix else kernel_cmd
        process = kernels.launch(command, self.graders_jail, kw.get("env"), kw.get("cwd"))
        if process is None:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        # What LocalProvisioner.launch_kernel records of a process it started.
        provisioner = self.provisioner
        provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
        provisioner.cwd = kw.get("cwd") or os.getcwd()
        self._reconcile_connection_info(provisioner.connection_info)


class KernelSandbox:
    """The uid, home, cgroup and mount plan of one notebook kernel (root with namespaces only)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir).resolve()
        self.token = uuid.uuid4().hex
        self.uid = sandbox_uid(self.token)
        self.home = Path(tempfile.mkdtemp(prefix="graders-kernel-"))
        self.cgroup = Cgroup(f"kernel-{self.token}", KERNEL_LIMITS) if cgroup_support() else None
        for path in [self.home, self.workdir, *self.workdir.rglob("*")]:
            os.chown(path, self.uid, self.uid)
        packages = {str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[2] / "servers")}
        plan = mount_plan({str(self.workdir), str(self.home), *packages}, default_hidden(), unprivileged=True)
        cgroups = list(self.cgroup.procs_files if self.cgroup else [])
        self.jail = {"uid": self.uid, "home": str(self.home), "plan": plan,
                     "limits": json.loads(KERNEL_LIMITS.as_json()), "cgroups": cgroups}  # _kernel_jail.enter's
        self.prefix = [sys.executable, "-I", str(KERNEL_JAIL), "--uid", str(self.uid),
                       "--home", str(self.home), "--plan", json.dumps(plan),
                       "--limits", KERNEL_LIMITS.as_json()]
        for procs in cgroups:
            self.prefix += ["--cgroup", procs]

    def close(self) -> None:
        if self.cgroup is not None:
            self.cgroup.remove()
        for path in [self.workdir, *self.workdir.rglob("*")]:
            with contextlib.suppress(OSError):
                os.chown(path, 0, 0)
        shutil.rmtree(self.home, ignore_errors=True)

    @staticmethod
    def available() -> bool:
        return drops_privileges()


class Execute(NbgraderExecute):
    """nbgrader's Execute, surviving a dead or hung kernel (see module docstring)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if self._graders_kernel_sandbox is not None:
            km.graders_prefix = self._graders_kernel_sandbox.prefix
            km.graders_jail = self._graders_kernel_sandbox.jail
        return km

    def preprocess(self, nb, resources=None, km=None):
        os.environ["GRADERS_AUTOGRADE"] = "1"  # the kernel inherits it: test cells defer to us
        state = resources.setdefault("graders", {}) if resources is not None else {}
        self._graders_state = state
        path = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        self._graders_kernel_sandbox = KernelSandbox(Path(path)) if KernelSandbox.available() else None
        state["kernel_sandbox"] = self._graders_kernel_sandbox is not None
        try:
            return self._graders_run(nb, resources, km)
        finally:
            if self._graders_kernel_sandbox is not None:
                self._graders_kernel_sandbox.close()

    def _graders_run(self, nb, resources, km):
        state = self._graders_state
        try:
            return super().preprocess(nb, resources, km)
        except DeadKernelError:
            state["kernel"] = (f"the kernel died while running cell {self._graders_cell + 1}; "
                               "the cells after it were not run")
        except (KernelGaveUp, CellTimeoutError, TimeoutError):
            # TimeoutError: nbclient's "Timeout waiting for IOPub output" after interrupting a
            # kernel that ignores SIGINT (it never goes idle).
            state["kernel"] = (f"cell {self._graders_cell + 1} did not finish within {self.timeout} s "
                               "and the kernel did not stop when interrupted; the cells after it were not run")
        except RuntimeError as exc:
            state["kernel"] = f"the notebook could not be run to the end: {type(exc).__name__}: {exc}"
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        self._graders_cell = index
        began = time.monotonic()
        cell, resources = super().preprocess_cell(cell, resources, index)
        timed_out = any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", []))
        if timed_out or (self.timeout and time.monotonic() - began > self.timeout):
            raise KernelGaveUp()
        return cell, resources


class TrustedChecks(NbGraderPreprocessor):
    """Grade server answers outside the kernel (see module docstring)."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        state = resources.setdefault("graders", {})
        began = time.monotonic()
        calls: dict[int, list[tuple[str, str]]] = {}
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                found = CHECK_CALL.findall(cell.source)
                if found:
                    calls[index] = found
        results: dict[tuple[str, str], CheckResult] = {}
        for name in sorted({a for found in calls.values() for a, _ in found}):
            wanted = sorted({c for found in calls.values() for a, c in found if a == name})
            results.update({(name, r.name): r for r in self._grade(nb, name, wanted, state)})
        for index, found in calls.items():
            cell = nb.cells[index]
            cell.outputs = outputs_for(cell, [results[key] for key in found])
            cell.execution_count = cell.get("execution_count") or None
        state["checks"] = {f"{a}.{c}": r.status for (a, c), r in results.items()}
        state["check_details"] = {f"{a}.{c}": {"status": r.status, "seconds": r.seconds, "spec": r.spec,
                                               "description": r.description, "rationale": r.rationale}
                                  for (a, c), r in results.items()}  # for graders.reports.class_report
        state["grading_seconds"] = round(time.monotonic() - began, 3)
        # what graders.grading.repair.RepairCells did to the cells while nbgrader sanitized the notebook
        notes = [str(n) for n in nb.metadata.get("graders", {}).get("notes", [])]
        if notes:
            state["notes"] = notes
        lines = [f"**Autograder note:** {note}." for note in notes]
        if state.get("kernel"):
            lines.append(f"**Autograder note:** {state['kernel']}. Your server was graded from its "
                         "answer cell, outside the notebook, as always.")
        if lines:
            nb.cells.insert(0, NotebookNode(cell_type="markdown", metadata={}, id="graders-note",
                                            source="\n\n".join(lines)))
        nb.metadata["graders"] = state
        return nb, resources

    def _grade(self, nb, assignment_name: str, wanted: list[str], state: dict) -> list[CheckResult]:
        assignment = assignments.get(assignment_name)
        try:
            source = answers.answer_source(nb, assignment.answer_file)
        except answers.AnswerNotFound as exc:
            return [CheckResult(name, assignment.checks[name].description, "fail",
                                rationale=f"your notebook has no answer: {exc}",
                                help="Do not delete the answer cell; write your server in it.")
                    for name in wanted]
        with tempfile.TemporaryDirectory(prefix="graders-answer-") as tmp:
            path = Path(tmp) / assignment.answer_file
            path.write_text(source, encoding="utf-8")
            report = run_checks(assignment, path, only=wanted)
        state["isolation"] = report.isolation
        return report.results


def outputs_for(cell: NotebookNode, results: list[CheckResult]) -> list[NotebookNode]:
    """The outputs that make nbgrader award this cell what ``results`` deserve.

    The transcripts on stdout, then the same drawn as sequence diagrams (a
    display_data output with text/html: nbgrader scores only errors, stderr
    and execute_result, and its feedback pages show the HTML, no JavaScript).
    """
    from graders.checking.diagram import result_html
    text = "\n".join(r.render(transcripts="all") for r in results) + "\n"
    outputs = [NotebookNode(output_type="stream", name="stdout", text=text),
               NotebookNode(output_type="display_data", metadata={}, data={
                   "text/plain": "(the transcripts above, drawn as sequence diagrams)",
                   "text/html": "".join(result_html(r) for r in results)})]
    points = float(cell.metadata["nbgrader"].get("points", 0))
    passed = sum(r.passed for r in results)
    if passed == len(results):
        return outputs
    if passed == 0:
        failed = next(r for r in results if not r.passed)
        outputs.append(NotebookNode(
            output_type="error", ename="CheckFailed",
            evalue=failed.rationale or failed.description,
            traceback=[f"CheckFailed: {failed.rationale or failed.description}"]))
        return outputs
    outputs.append(NotebookNode(output_type="execute_result", execution_count=None, metadata={},
                                data={"text/plain": repr(round(points * passed / len(results), 4))}))
    return outputs
