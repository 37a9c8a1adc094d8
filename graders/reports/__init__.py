"""What a graded class hands on: the class report and Gradescope's ``results.json``.

* :mod:`~graders.reports.class_report`: ``report.html`` and ``check_results.csv`` of a course;
* :mod:`~graders.reports.gradescope`: ``results.json`` (from the checks, or from a course's
  gradebook), ``python -m graders export`` and the ``autograder.zip`` bundle.

May import :mod:`graders.course.paths`, :mod:`graders.assignments`, :mod:`graders.checking` and
:mod:`graders.sandbox`.
"""
