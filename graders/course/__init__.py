"""An instructor's course: the repository's paths, ``course init``, the hub, the student view.

* :mod:`~graders.course.paths`: where the workbook is (``REPO``, ``SOLUTIONS``, ``NOTEBOOKS``)
  and :func:`~graders.course.paths.nbgrader`, which runs nbgrader's own commands on a course;
* :mod:`~graders.course.release`: ``make notebooks`` (the student workbook from ``solutions/``);
* :mod:`~graders.course.admin`: ``python -m graders course init`` (docs/course.md);
* :mod:`~graders.course.hub` (and ``_hub_user.py``): ``make hub``, the course on JupyterHub;
* :mod:`~graders.course.student_view`: the checks a student may see, and what is hidden.

May import :mod:`graders.assignments`, :mod:`graders.checking` and :mod:`graders.sandbox`.
"""

from graders.course.paths import NOTEBOOKS, REPO, SOLUTIONS, environment, nbgrader  # noqa: F401
