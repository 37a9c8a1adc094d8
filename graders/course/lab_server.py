"""The course's Jupyter server extension: what a course's JupyterLab needs beyond nbgrader's own.

Enabled by the Jupyter config folder ``course init`` writes (``DIR/jupyter/``,
:func:`write_config`), which the instructor's and the students' servers have
on ``JUPYTER_CONFIG_PATH``, on the hub (graders/course/hub.py) and off it
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
  (graders/course/autograde_service.py): on the hub as root, through the course's
  autograde service, with the batch's isolation; one way to grade;
* makes the *Assignments* tab's "(view feedback)" open the feedback pages
  (JupyterLab's HTML viewer) besides showing their folder: nbgrader's lab
  extension chunk with that link is served with the link's handler extended;
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
NAME = "graders.course.lab_server"

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


# nbgrader's Assignments tab: "(view feedback)" only moved the file browser to the feedback folder.
_VIEW_FEEDBACK = re.compile(r'(\w+)\.onclick=function\(\)\{(\w+)\.commands\.execute\("filebrowser:go-to-path",'
                            r'\{path:(\w+)\}\)\},\1\.innerText=" \(view feedback\)"')
_OPEN_FEEDBACK = ('{a}.onclick=function(){{{app}.commands.execute("filebrowser:go-to-path",{{path:{p}}});'
                  '{app}.serviceManager.contents.get({p}).then(function(m){{(m.content||[]).filter(function(f)'
                  '{{return f.type==="file"&&/[.]html$/.test(f.name)}}).forEach(function(f){{'
                  '{app}.commands.execute("docmanager:open",{{path:f.path}})}})}})}},{a}.innerText=" (view feedback)"')


def opening_feedback_js(text: str) -> str | None:
    """A chunk of nbgrader's lab extension whose "(view feedback)" link also opens the feedback pages.

    The link still shows the folder (as nbgrader does) and then opens each
    ``.html`` in it with JupyterLab's HTML viewer.  None when ``text`` is not
    the chunk with that link.
    """
    fixed, count = _VIEW_FEEDBACK.subn(
        lambda m: _OPEN_FEEDBACK.format(a=m.group(1), app=m.group(2), p=m.group(3)), text)
    return fixed if count == 1 else None


def _feedback_chunk() -> tuple[str, str] | None:
    """(file name, fixed text) of the nbgrader lab extension chunk with the "(view feedback)" link."""
    from jupyter_core.paths import jupyter_path
    for folder in jupyter_path("labextensions"):
        static = Path(folder) / "@jupyter" / "nbgrader" / "static"
        for path in sorted(static.glob("*.js")) if static.is_dir() else []:
            text = path.read_text(encoding="utf-8", errors="replace")
            if "(view feedback)" in text:
                fixed = opening_feedback_js(text)
                return (path.name, fixed) if fixed else None
    return None


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
    """Work from the server's root; serve the fixed JavaScript (view feedback; Formgrader's links, button)."""
    from jupyter_server.utils import url_path_join
    from tornado import web

    # Now that every extension is linked, root_dir is final (JupyterHub's sets it from
    # JUPYTERHUB_ROOT_DIR while linking).  A terminal asked for at the file browser's top
    # ("cwd": "") opens in the process's folder.
    root = os.path.expanduser(serverapp.root_dir)
    if os.path.isdir(root):
        os.chdir(root)

    webapp = serverapp.web_app
    base = webapp.settings["base_url"]
    ours = []

    class JavaScript(web.RequestHandler):
        def initialize(self, text: str) -> None:
            self.text = text

        def get(self):
            self.set_header("Content-Type", "application/javascript; charset=UTF-8")
            self.set_header("Cache-Control", "no-cache")
            self.write(self.text)

    chunk = _feedback_chunk()
    if chunk:
        ours.append((url_path_join(base, "/lab/extensions/@jupyter/nbgrader/static/", chunk[0]), JavaScript,
                     {"text": chunk[1]}))
    else:
        serverapp.log.warning("graders.course.lab_server: nbgrader's lab extension changed; "
                              "'(view feedback)' only shows the folder")
    if serverapp.jpserver_extensions.get("nbgrader.server_extensions.formgrader"):
        ours += _formgrader_handlers(serverapp, base, JavaScript)
    if ours:
        webapp.add_handlers(".*$", ours)
        # Tornado tries host rules in order: ours must come before JupyterLab's and Formgrader's.
        rules = webapp.default_router.rules
        rule = rules[-2]
        rules.remove(rule)
        rules.insert(0, rule)
    serverapp.log.info("graders.course.lab_server: frame policy %r; '(view feedback)' opens the feedback; "
                       "Formgrader's links fixed; its autograde button runs the batch%s", FRAME_POLICY,
                       " (as root, through the course's autograde service)"
                       if os.environ.get("GRADERS_AUTOGRADE_SOCKET") else "")


def _formgrader_handlers(serverapp, base: str, JavaScript) -> list:
    """Formgrader's utils.js with working links, and its autograde button running the batch."""
    from jupyter_server.utils import url_path_join
    from tornado import web
    try:
        from nbgrader.server_extensions.formgrader.base import BaseApiHandler, check_xsrf
        source = _utils_js_path()
    except ImportError:
        return []
    text = fixed_utils_js(source.read_text(encoding="utf-8"))

    class AutogradeHandler(BaseApiHandler):
        """Formgrader's *autograde* button: the batch for one submission (graders/course/autograde_service.py)."""

        @web.authenticated
        @check_xsrf
        async def post(self, assignment_id, student_id):
            from graders.course import autograde_service
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

    return [
        (url_path_join(base, "/formgrader/static/js/utils.js"), JavaScript, {"text": text}),
        (url_path_join(base, "/formgrader/api/submission/([^/]+)/([^/]+)/autograde"), AutogradeHandler),
    ]
