"""JupyterLab's configuration for the student workbook: ``make lab`` passes ``--config=`` this file.

A terminal opened from JupyterLab must find the course environment's
``graders`` and ``python`` first on its ``PATH``, so that the command the
notebooks print (``graders check swap swap_server.py``) works there.  By
default jupyter-server-terminals starts ``$SHELL -l`` when JupyterLab's
output is not a terminal, and a login shell's ``/etc/profile`` sets ``PATH``
afresh (Debian's does, for root always): the environment's ``bin/`` is gone
and another Python comes first.  So the terminal is ``bash --rcfile
terminal.bashrc -i``: the start-up files a login shell reads, then this
environment's ``bin/`` (``GRADERS_BIN``, the folder of the Python running
JupyterLab) put first.  Without bash, the default shell is kept.

Sources: jupyter-server-terminals ``TerminalsExtensionApp.initialize_configurables``
(``ServerApp.terminado_settings["shell_command"]``); bash(1), INVOCATION.
"""
import os
import shutil
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - defined by traitlets when it loads a config file

os.environ["GRADERS_BIN"] = str(Path(sys.executable).parent)  # the terminals inherit it
_bash = shutil.which("bash")
if _bash:
    c.ServerApp.terminado_settings = {
        "shell_command": [_bash, "--rcfile", str(Path(__file__).with_name("terminal.bashrc")), "-i"]}
