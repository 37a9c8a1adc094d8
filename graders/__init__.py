"""The grading library of the workbook.

Layers, from the bottom:

* :mod:`graders.sandbox` and ``graders/_jail.py`` run one untrusted server
  program isolated (own network and PID namespaces where Linux allows, rlimits)
  and connect clients to it;
* :mod:`graders.harness` starts a student's server file and drives it with
  scripted clients that keep a transcript;
* :mod:`graders.checks` is the check50-style framework (checks, failures with a
  rationale and a hint, reports);
* :mod:`graders.assignments` holds each assignment's checks;
* :mod:`graders.answers` takes the answer out of a notebook;
* :mod:`graders.notebook` is what notebooks call (self-check, test cells);
* :mod:`graders.nbgrader` plugs the trusted grading into ``nbgrader autograde``;
* :mod:`graders.batch` autogrades a whole class in parallel;
* ``python -m graders`` is the command line (see ``python -m graders --help``).
"""
