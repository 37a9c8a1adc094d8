"""The scenario strategies of graders.checking.explore, one module per assignment (``EXPLORER``).

Hypothesis strategies of client choreographies (graders.checking.explore.Scenario) and the
model (graders.assignments.models) their histories are judged by.  Like the models, they are
hidden checks: a course's student view (graders/course/student_view.py) copies only the top level
of graders/assignments/.
"""
