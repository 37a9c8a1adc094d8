"""The check framework: checks that read like the spec, run against a server in the sandbox.

* :mod:`~graders.checking.checks`: :class:`~graders.checking.checks.Assignment`, ``@check``,
  :func:`~graders.checking.checks.run_checks` (every check against a fresh server of its own);
* :mod:`~graders.checking.results`: :class:`~graders.checking.results.Failure` (what a check
  raises, with a rationale and a hint), ``CheckResult`` and ``Report``;
* :mod:`~graders.checking.harness`: ``Server`` (a student's file in a sandbox) and ``Client``
  (a scripted client with deadlines), writing a ``Transcript``;
* :mod:`~graders.checking.http`: an HTTP/1.1 client for the web assignment (h11);
* :mod:`~graders.checking.diagram`: a check's transcript as an SVG sequence diagram;
* :mod:`~graders.checking.answers`: the answer file taken out of a notebook's answer cell;
* :mod:`~graders.checking.explore`: the scenario explorer: generated client choreographies, each
  history judged by an assignment's spec model (``graders.assignments.models``), shrunk on failure.

May import :mod:`graders.sandbox` only.
"""
