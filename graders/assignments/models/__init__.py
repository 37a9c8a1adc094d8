"""Executable models of the assignments' specs: one pure state machine per assignment.

Each model (a :class:`~graders.checking.model.Model`) is written from
the numbered points of the notebook's "## The spec" cell, not from the
reference solution: given what the clients did and what the server sent so
far, it says whether that is allowed, and which spec point a wrong output
breaks.  graders.checking.explore drives real servers with generated clients
and asks the model about every history it sees.

One module per assignment (``clock``, ...), each with its model class; graders.checking.model holds the
shared :class:`~graders.checking.model.Model` and
:class:`~graders.checking.model.Violation`.
"""
