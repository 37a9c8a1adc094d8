# The start-up of a JupyterLab terminal of the workbook (graders/course/lab_config.py, make lab):
# what a login shell reads, then the course environment's bin/ first on PATH, so that
# `graders` and `python` are the environment's (`graders check swap swap_server.py`).
[ -r /etc/profile ] && . /etc/profile
for _rc in ~/.bash_profile ~/.bash_login ~/.profile; do
    if [ -r "$_rc" ]; then . "$_rc"; break; fi
done
unset _rc
if [ -n "$GRADERS_BIN" ]; then
    export PATH="$GRADERS_BIN:$PATH" VIRTUAL_ENV="$(dirname "$GRADERS_BIN")"
    hash -r
fi
