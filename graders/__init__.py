"""The grading library of the workbook, in packages by stage.

Every import points down this list (``tests/test_layout.py`` fails on a circle,
or on an import from a lower stage into a higher one):

* ``python -m graders`` (:mod:`graders.__main__`) and :mod:`graders.demo`: the command line;
* :mod:`graders.grading`: nbgrader plug-ins, the notebook's self-check, repair of mangled
  notebooks, kernels, the batch and its workers, diagnoses;
* :mod:`graders.reports`: the class report and Gradescope's ``results.json``;
* :mod:`graders.course`: an instructor's course: ``course init``, the hub, the student view,
  releasing the notebooks;
* :mod:`graders.assignments`: each assignment's spec and checks;
* :mod:`graders.checking`: the check framework (checks, failures, reports), the harness
  (a server, scripted clients, transcripts), the HTTP client, the sequence diagrams, and
  the answer taken out of a notebook;
* :mod:`graders.sandbox`: one untrusted server isolated (jail, zygote, cgroups, mounts)
  and what it has done (:mod:`graders.sandbox.watch`).

The modules' names from before this layout (``graders.notebook``, ``graders.nbgrader``,
``graders.repair``, ``graders.worker``, ``graders.checks``, ...) still import: notebooks
that students handed in, a course's ``nbgrader_config.py`` and a Dask worker's
``--preload`` name them.  Each is the same module object as its new home (:data:`MOVED`).
"""

import importlib
import importlib.abc
import importlib.util
import sys

MOVED = {  # a module's name before the layout by stage -> its name now
    "graders.answers": "graders.checking.answers",
    "graders.checks": "graders.checking.checks",
    "graders.diagram": "graders.checking.diagram",
    "graders.harness": "graders.checking.harness",
    "graders.http": "graders.checking.http",
    "graders.batch": "graders.grading.batch",
    "graders.diagnose": "graders.grading.diagnose",
    "graders.kernels": "graders.grading.kernels",
    "graders.nbgrader": "graders.grading.plugins",
    "graders.notebook": "graders.grading.notebook",
    "graders.repair": "graders.grading.repair",
    "graders.worker": "graders.grading.worker",
    "graders.gradescope": "graders.reports.gradescope",
    "graders.report": "graders.reports.class_report",
    "graders.course_admin": "graders.course.admin",
    "graders.hub": "graders.course.hub",
    "graders.release": "graders.course.release",
    "graders.student_view": "graders.course.student_view",
    "graders.watch": "graders.sandbox.watch",
}


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old name (:data:`MOVED`) as the very module of its new name.

    ``python -m graders.hub`` works too (:meth:`get_code` gives the new module's code).
    """

    def __init__(self) -> None:
        self._specs = {}  # old name -> the new module's own spec, while importlib rewrites it

    def find_spec(self, name, path=None, target=None):
        if name not in MOVED:
            return None
        return importlib.util.spec_from_loader(name, self, is_package=False)

    def create_module(self, spec):
        module = importlib.import_module(MOVED[spec.name])
        self._specs[spec.name] = module.__spec__  # importlib sets __spec__ to the old name's: put it back
        return module

    def exec_module(self, module):
        module.__spec__ = self._specs.pop(module.__spec__.name, module.__spec__)

    def get_code(self, name):  # for runpy (python -m OLD.NAME)
        spec = importlib.util.find_spec(MOVED[name])
        return spec.loader.get_code(spec.name)


sys.meta_path.append(_MovedModules())
