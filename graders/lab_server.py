"""The course's Jupyter server extension: what a course's JupyterLab needs beyond nbgrader's own.

Enabled by the Jupyter config folder ``course init`` writes (``DIR/jupyter/``,
:func:`write_config`), which the instructor's and the students' servers have
on ``JUPYTER_CONFIG_PATH``, on the hub (graders/hub.py) and off it
(``make course``, ``python -m graders course lab``).  It

* lets JupyterLab frame its own pages: ``Content-Security-Policy:
  frame-ancestors 'self'`` (JupyterHub's single-user server sends ``'none'``,
  so Lab's *Nbgrader → Formgrader* panel, an iframe of the same server, stayed
  blank).  Nothing wider: no other origin may frame the server;
* serves Formgrader's ``static/js/utils.js`` with its links fixed: nbgrader
  0.9's ``linkTo`` sends a page opened on its own to ``/tree/PATH``, which
  ignores the server's base URL (``/user/NAME/`` on a hub: the hub answers
  404) and needs the classic Notebook's ``tree`` page.  Here every such link
  is ``BASE_URL/lab/tree/PATH``, JupyterLab's own page for a file or folder;
  inside Lab's iframe the links still ask Lab to open the file
  (``postMessage``, as nbgrader does), with the ``./`` of a course root that
  is the server root taken off;
* makes Formgrader's *autograde* button run the batch for that submission
  (graders/autograde_service.py): on the hub as root, through the course's
  autograde service, with the batch's isolation; one way to grade;
* opens terminals at the server's root folder (the course root for an
  instructor, the home folder for a student) with the server's ``PATH`` (the
  course's environment first): the process works from ``root_dir``, and the
  shell is an interactive, non-login ``bash`` (a login shell reads
  /etc/profile, which resets ``PATH``).

Sources: Jupyter Server documentation, "Server extensions" (the
``_link_jupyter_server_extension`` and ``_load_jupyter_server_extension``
hooks) and "Config file and command line options" (``tornado_settings``,
``terminado_settings``); MDN, "CSP: frame-ancestors"; nbgrader 0.9
``server_extensions/formgrader/static/js/utils.js``.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path

FRAME_POLICY = "frame-ancestors 'self'"
NAME = "graders.lab_server"

# nbgrader's linkTo, the page-on-its-own branch: one prefix per kind of link, none with the base URL.
_PREFIXES = re.compile(r'var prefix = \{\s*notebook: "/notebooks/",\s*file: "/edit/",\s*directory: "/tree/"\s*\}\[type\];')
_FIXED_PREFIX = ('var prefix = (typeof base_url === "string" ? base_url.replace(/\\/+$/, "") : "") + "/lab/tree/";\n'
                 '        path = String(path).replace(/^(\\.\\/)+/, "");')
_FRAMED = re.compile(r'(window\.parent\.postMessage\(\s*JSON\.stringify\(\{\s*"command": command,\s*'
                     r'"arguments": \{"path": )path(\})')


def fixed_utils_js(text: str) -> str:
    """nbgrader's formgrader ``utils.js`` with ``linkTo`` using the base URL and JupyterLab's tree page.

    Raises ValueError when the text is not the one this fix knows (another
    nbgrader version): better no Formgrader page than silently broken links.
    """
    fixed, count = _PREFIXES.subn(_FIXED_PREFIX, text)
    if count != 1:
        raise ValueError("nbgrader's formgrader utils.js changed: linkTo's prefixes not found")
    fixed, count = _FRAMED.subn(r'\1String(path).replace(/^(\\.\\/)+/, "")\2', fixed)
    if count != 1:
        raise ValueError("nbgrader's formgrader utils.js changed: linkTo's postMessage not found")
    return fixed


def _utils_js_path() -> Path:
    from nbgrader.server_extensions.formgrader import handlers
    return Path(handlers.static_path) / "js" / "utils.js"


def write_config(folder: Path) -> Path:
    """Write a Jupyter config folder that enables this extension; returns ``folder``.

    ``folder/jupyter_server_config.d/graders.json``, readable by every user
    (put ``folder`` on ``JUPYTER_CONFIG_PATH``).
    """
    folder = Path(folder)
    conf_d = folder / "jupyter_server_config.d"
    conf_d.mkdir(parents=True, exist_ok=True)
    path = conf_d / "graders.json"
    path.write_text(json.dumps({"ServerApp": {"jpserver_extensions": {NAME: True}}}, indent=2) + "\n")
    for item in (folder, conf_d):
        item.chmod(0o755)
    path.chmod(0o644)
    return folder


def _jupyter_server_extension_points():
    return [{"module": NAME}]


def _link_jupyter_server_extension(serverapp) -> None:
    """Before any extension loads: the frame policy, the terminals' shell."""
    settings = dict(serverapp.tornado_settings)
    headers = dict(settings.get("headers", {}))
    headers["Content-Security-Policy"] = FRAME_POLICY
    settings["headers"] = headers
    serverapp.tornado_settings = settings
    if "shell_command" not in serverapp.terminado_settings:
        shell = shutil.which("bash") or os.environ.get("SHELL") or "/bin/sh"
        serverapp.terminado_settings = {**serverapp.terminado_settings, "shell_command": [shell, "-i"]}


def _load_jupyter_server_extension(serverapp) -> None:
    """Work from the server's root; serve Formgrader's utils.js with working links (when Formgrader is there)."""
    from jupyter_server.utils import url_path_join
    from tornado import web

    # Now that every extension is linked, root_dir is final (JupyterHub's sets it from
    # JUPYTERHUB_ROOT_DIR while linking).  A terminal asked for at the file browser's top
    # ("cwd": "") opens in the process's folder.
    root = os.path.expanduser(serverapp.root_dir)
    if os.path.isdir(root):
        os.chdir(root)

    if not serverapp.jpserver_extensions.get("nbgrader.server_extensions.formgrader"):
        return  # a student's server: no Formgrader
    try:
        from nbgrader.server_extensions.formgrader.base import BaseApiHandler, check_xsrf
        source = _utils_js_path()
    except ImportError:
        return
    text = fixed_utils_js(source.read_text(encoding="utf-8"))

    class UtilsJS(web.RequestHandler):
        def get(self):
            self.set_header("Content-Type", "application/javascript; charset=UTF-8")
            self.set_header("Cache-Control", "no-cache")
            self.write(text)

    class AutogradeHandler(BaseApiHandler):
        """Formgrader's *autograde* button: the batch for one submission (graders/autograde_service.py)."""

        @web.authenticated
        @check_xsrf
        async def post(self, assignment_id, student_id):
            from . import autograde_service
            socket_path = os.environ.get("GRADERS_AUTOGRADE_SOCKET")
            loop = asyncio.get_running_loop()
            try:
                if socket_path:  # on the hub: root grades, as the batch does
                    answer = await loop.run_in_executor(None, autograde_service.ask, socket_path,
                                                        assignment_id, student_id)
                else:
                    answer = await loop.run_in_executor(None, autograde_service.grade_one,
                                                        Path(self.coursedir.root), assignment_id, student_id)
            except (OSError, ValueError) as exc:
                answer = {"success": False, "log": "", "error": f"autograding could not start: {exc}"}
            self.settings["nbgrader_gradebook"] = None  # another process wrote the gradebook
            self.write(json.dumps(answer))

    webapp = serverapp.web_app
    base = webapp.settings["base_url"]
    webapp.add_handlers(".*$", [
        (url_path_join(base, "/formgrader/static/js/utils.js"), UtilsJS),
        (url_path_join(base, "/formgrader/api/submission/([^/]+)/([^/]+)/autograde"), AutogradeHandler),
    ])
    # Tornado tries host rules in order: ours must come before Formgrader's.
    rules = webapp.default_router.rules
    ours = rules[-2]
    rules.remove(ours)
    rules.insert(0, ours)
    serverapp.log.info("graders.lab_server: frame policy %r; Formgrader's links fixed; its autograde "
                       "button runs the batch%s", FRAME_POLICY,
                       " (as root, through the course's autograde service)"
                       if os.environ.get("GRADERS_AUTOGRADE_SOCKET") else "")
