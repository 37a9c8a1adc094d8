"""The feedback pages (``nbgrader generate_feedback``): each transcript once, nothing from the internet.

nbgrader's feedback is the autograded notebook rendered with its ``feedback``
template.  The course's configuration (nbgrader_config.py) adds:

* :class:`FoldTranscripts`: an autograder test cell's outputs hold each
  check's transcript twice, as text (stdout) and as a sequence diagram
  (HTML; graders/grading/plugins.py ``outputs_for``).  The page shows the diagram,
  and the text version folded below it (a ``<details>`` element: no
  JavaScript), its long lines wrapped instead of clipped;
* :class:`ClearHiddenTests`: nbgrader's, without the warning ``Config option
  display_data_priority not recognized by ClearHiddenTests`` (nbconvert's
  HTMLExporter configures ``NbConvertBase.display_data_priority``, which
  nbgrader's preprocessor base class redeclares as not configurable);
* :data:`TEMPLATES`: a ``feedback`` template folder whose ``mathjax.html.j2``
  writes nothing, so the page no longer loads MathJax from a CDN (nbgrader's
  template calls ``mathjax()`` with the CDN's address, whatever
  ``HTMLExporter.mathjax_url`` says).

Sources: nbconvert documentation, "Customizing Templates" (template folders,
``extra_template_basedirs``); nbgrader 0.9 ``preprocessors/clearhiddentests.py``
and ``server_extensions/formgrader/templates/feedback``; HTML Living
Standard, "The details element".
"""
from __future__ import annotations

import html
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests as _NbgraderClearHiddenTests
from traitlets import Bool, List

TEMPLATES = Path(__file__).with_name("templates")
DIAGRAM_NOTE = "(the transcripts above, drawn as sequence diagrams)"  # graders/grading/plugins.py outputs_for


class ClearHiddenTests(_NbgraderClearHiddenTests):
    """nbgrader's ClearHiddenTests; ``display_data_priority`` is configurable (unused), so no warning."""

    display_data_priority = List(["text/html", "application/pdf", "text/latex", "image/svg+xml",
                                  "image/png", "image/jpeg", "text/plain"]).tag(config=True)


def folded(text: str) -> NotebookNode:
    """A display_data output: ``text`` in a closed ``<details>``, wrapped, after the diagrams."""
    body = (f'<details class="graders-transcript-text"><summary style="display: list-item; cursor: pointer;">The transcripts as text</summary>'
            f'<pre style="white-space: pre-wrap; overflow-wrap: anywhere;">{html.escape(text)}</pre></details>')
    return NotebookNode(output_type="display_data", metadata={},
                        data={"text/html": body, "text/plain": text})


class FoldTranscripts(Preprocessor):
    """Show each transcript once: the diagram, with the text version folded under it.

    Touches only the cells whose outputs are the stdout transcript followed by
    the diagram output of graders/grading/plugins.py; the grade outputs (an error, a
    partial score) stay where they are.
    """

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        outputs = cell.get("outputs") or []
        for i in range(len(outputs) - 1):
            text, drawing = outputs[i], outputs[i + 1]
            if (text.get("output_type") == "stream" and text.get("name") == "stdout"
                    and drawing.get("output_type") == "display_data"
                    and drawing.get("data", {}).get("text/plain") == DIAGRAM_NOTE):
                drawing = NotebookNode(output_type="display_data", metadata=drawing.get("metadata", {}),
                                       data={"text/html": drawing["data"]["text/html"]})
                cell.outputs = [*outputs[:i], drawing, folded(text["text"]), *outputs[i + 2:]]
                break
        return cell, resources
