"""Grading with nbgrader: one notebook, then a whole class.

* :mod:`~graders.grading.notebook`: what a notebook's cells call (``selfcheck()``, ``check()``);
* :mod:`~graders.grading.plugins`: nbgrader plug-ins (``Execute``, ``TrustedChecks``) that
  grade the answer cell outside the student's kernel;
* :mod:`~graders.grading.repair`: mangled notebooks repaired against the gradebook;
* :mod:`~graders.grading.kernels` (and ``_kernel_zygote.py``, ``_kernel_jail.py``): a
  submission's kernel, forked from a zygote, unprivileged and jailed;
* :mod:`~graders.grading.worker`: one submission's autograding as a task (local or Dask);
* :mod:`~graders.grading.batch`: a class autograded in parallel, the one writer of the gradebook;
* :mod:`~graders.grading.diagnose`: why a submission cannot be graded, in an instructor's words.

May import :mod:`graders.reports`, :mod:`graders.course`, :mod:`graders.assignments`,
:mod:`graders.checking` and :mod:`graders.sandbox`.
"""
