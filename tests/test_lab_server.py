"""graders/course/lab_server.py: Formgrader's links fixed in nbgrader's own utils.js (fast; no server)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("nbgrader")

from graders.course import lab_server  # noqa: E402


def test_formgraders_links_use_the_base_url_and_labs_tree_page():
    original = lab_server._utils_js_path().read_text(encoding="utf-8")
    fixed = lab_server.fixed_utils_js(original)
    assert '"/tree/"' in original and '"/tree/"' not in fixed and '"/notebooks/"' not in fixed
    assert 'base_url.replace(' in fixed and '"/lab/tree/"' in fixed
    # Inside Lab's iframe the message still names the file (without a leading "./").
    assert fixed.count("postMessage") == original.count("postMessage") == 1
    assert '"arguments": {"path": String(path).replace(' in fixed


def test_an_unknown_utils_js_is_refused_not_served_broken():
    with pytest.raises(ValueError):
        lab_server.fixed_utils_js("var linkTo = function () {};")


def test_the_config_folder_enables_the_extension(tmp_path):
    folder = lab_server.write_config(tmp_path / "jupyter")
    config = json.loads((folder / "jupyter_server_config.d" / "graders.json").read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"graders.course.lab_server": True}}}


def test_the_button_grades_ids_never_paths_or_options(tmp_path):
    from graders.course import autograde_service
    for bad in ("../clock", "--force", "a/b", ""):
        with pytest.raises(ValueError):
            autograde_service.grade_one(tmp_path, bad, "alice")
        with pytest.raises(ValueError):
            autograde_service.grade_one(tmp_path, "clock", bad)
    assert autograde_service.command(tmp_path, "clock", "alice")[-1] == "--force"


def test_view_feedback_also_opens_the_feedback_pages():
    from jupyter_core.paths import jupyter_path
    if not any((Path(d) / "@jupyter" / "nbgrader").is_dir() for d in jupyter_path("labextensions")):
        pytest.skip("nbgrader's JupyterLab extension is not installed (the lab extra)")
    chunk = lab_server._feedback_chunk()
    assert chunk is not None, "nbgrader's lab extension changed: no '(view feedback)' link to extend"
    name, text = chunk
    assert name.endswith(".js")
    assert text.count("(view feedback)") == 1
    link = text[text.index("filebrowser:go-to-path") - 60:text.index(' (view feedback)')]
    assert 'execute("docmanager:open",{path:f.path})' in link and "serviceManager.contents.get(" in link
    assert lab_server.opening_feedback_js("no link here") is None
