"""nbgrader configuration for the workbook.

`solutions/` is nbgrader's source directory (instructor notebooks) and
`notebooks/` its release directory (the student workbook, committed).
Autograding replaces nbgrader's Execute with graders.grading.plugins.Execute (a dead
or hung kernel is recorded, not fatal) and adds graders.grading.plugins.TrustedChecks,
which grades every server from the notebook's answer cell outside the kernel
and writes the verdicts into the autograder test cells: nothing a student's
cells do in the kernel can change a grade.  See docs/architecture.md.
"""
import os

c = get_config()  # noqa: F821 - provided by traitlets

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "python-servers"
c.CourseDirectory.root = here
c.CourseDirectory.source_directory = os.path.join(here, "solutions")
c.CourseDirectory.release_directory = os.path.join(here, "notebooks")

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.OverwriteCells.add_missing_cells = True
# A mangled submission (duplicated, forged or renamed nbgrader cells, an answer cell that lost its
# %%writefile line) is repaired against the gradebook first, with notes (graders/grading/repair.py); our
# OverwriteCells survives what DeduplicateIds leaves behind (jupyter/nbgrader#1083).
c.Autograde.sanitize_preprocessors = [
    "graders.grading.repair.RepairCells",
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "graders.grading.repair.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

c.Autograde.autograde_preprocessors = [
    "graders.grading.plugins.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "graders.grading.plugins.TrustedChecks",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Execute.timeout = 60
# nbconvert validates the whole notebook after every preprocessor (eight of them per pass, two
# passes per submission); once after the last one is enough to refuse an invalid notebook.
c.Exporter.optimistic_validation = True

# Feedback (graders/reports/feedback.py): each transcript once (the diagram; the text folded under it),
# no MathJax from a CDN (our feedback/mathjax.html.j2 comes before nbconvert's), no config warning.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "graders.reports.feedback.ClearHiddenTests",
    "graders.reports.feedback.FoldTranscripts",
]
import nbgrader  # noqa: E402

c.HTMLExporter.extra_template_basedirs = [
    os.path.join(here, "graders", "reports", "templates"),
    os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates"),
]
