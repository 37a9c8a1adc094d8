"""A JupyterHub for a course on one machine: ``python -m graders.course.hub`` (``make hub``).

When a class outgrows one laptop, the course of docs/course.md runs on a shared
Linux machine under JupyterHub:

* ``jupyterhub`` (the ``hub`` extra) behind ``configurable-http-proxy`` (npm,
  installed into ``build/node/`` by :func:`ensure_proxy`, never globally);
* local system users log in with their Unix password (JupyterHub's
  ``PAMAuthenticator``); only the named students and instructors are allowed;
* each user's JupyterLab runs as that user (``LocalProcessSpawner``, so the hub
  runs as root);
* an **instructor** is a course user whose JupyterLab is rooted at the course
  root (``instructor/``, which the instructor owns) with its
  ``nbgrader_config.py`` on ``JUPYTER_CONFIG_PATH``: Formgrader, release,
  collect, autograde, feedback;
* a **student**'s JupyterLab is rooted at their home directory, with the
  students' ``nbgrader_config.py`` (course id and exchange only) on
  ``JUPYTER_CONFIG_PATH`` and nbgrader's instructor extensions (Formgrader,
  course list, create assignment) switched off: the *Assignments* tab fetches,
  submits and fetches feedback through the shared exchange (mode 1777).  It
  runs in the course's student view (graders/course/student_view.py): the visible
  checks only, no solutions.
* every server loads the course's server extension (graders/course/lab_server.py:
  Lab may frame Formgrader, Formgrader's links work under ``/user/NAME/``,
  terminals open at the server's root with the environment on ``PATH``);
* Formgrader's *autograde* button grades through the course's autograde
  service (graders/course/autograde_service.py), a JupyterHub managed service run as
  root: the batch's isolation, files given back to the instructor.

``python -m graders.course.hub`` refuses an environment other users could not run
(graders.course_admin.environment_problem) unless ``--private-python``.

Sources: JupyterHub documentation, "Configuration basics", "Authenticators"
(PAMAuthenticator, ``allowed_users``) and "Spawners" (LocalProcessSpawner,
``pre_spawn_hook``, ``notebook_dir``); nbgrader documentation, "Using nbgrader
with JupyterHub" (one course, instructor as a hub user) and "Installation"
(disabling the instructor extensions for students).
"""
from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from graders.course import student_view
from graders.course.paths import REPO, environment

NODE_PREFIX = REPO / "build" / "node"
PROXY_VERSION = "5.3.0"
PROXY = NODE_PREFIX / "node_modules" / ".bin" / "configurable-http-proxy"
VENV_BIN = Path(sys.executable).parent

HUB_CONFIG = '''\
"""JupyterHub configuration of the course {course_root!r} (written by python -m graders.course.hub).

Instructors: {instructors!r}.  Students: {students!r}.  See graders/course/hub.py.
"""
c = get_config()  # noqa: F821 - provided by traitlets

c.JupyterHub.bind_url = {public_url!r}
c.JupyterHub.hub_ip = {ip!r}
c.JupyterHub.hub_port = {hub_port!r}
c.ConfigurableHTTPProxy.api_url = {proxy_api_url!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {cookie_secret!r}
c.JupyterHub.pid_file = {pid_file!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set({students!r}) | set({instructors!r})

# LocalProcessSpawner, but the server starts through graders/course/_hub_user.py, which drops to the user.
c.JupyterHub.spawner_class = "graders.course.hub.CourseSpawner"
c.Spawner.cmd = {spawn_cmd!r}
c.Spawner.default_url = "/lab"
c.Spawner.ip = {ip!r}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
# nbgrader runs `alembic` (gradebook migrations) and kernels run `python`: this environment first.
c.Spawner.environment = {{"PATH": {path!r}}}
# ... and in JupyterLab's terminals too (`graders check ...`): graders/course/lab_config.py, as `make lab`.
c.Spawner.args = ["--config={lab_config}"]

# Formgrader's autograde button grades through this service, as root, as the batch does
# (graders/course/autograde_service.py); the instructors' servers find it through GRADERS_AUTOGRADE_SOCKET.
c.JupyterHub.services = [{{"name": "graders-autograde", "command": {autograde_cmd!r},
                           "environment": {{"PATH": {path!r}}}}}]

INSTRUCTORS = set({instructors!r})
# A student's server also sees the student view: no hidden checks, no solutions (graders/course/student_view.py).
STUDENT_CMD = {student_cmd!r}


def pre_spawn_hook(spawner):
    """The instructor's JupyterLab opens the course root; a student's, their home."""
    if spawner.user.name in INSTRUCTORS:
        spawner.notebook_dir = {course_root!r}
        config_path = {instructor_config_path!r}
        spawner.environment = dict(spawner.environment, GRADERS_AUTOGRADE_SOCKET={autograde_socket!r})
    else:
        spawner.notebook_dir = "~"
        spawner.cmd = STUDENT_CMD
        config_path = {student_config_path!r}
    spawner.environment = dict(spawner.environment, JUPYTER_CONFIG_PATH=config_path)


c.Spawner.pre_spawn_hook = pre_spawn_hook
'''


@dataclass
class Hub:
    """Where a course's hub listens and who may log in (ports are TCP ports on ``ip``)."""

    course: "object"  # graders.course.admin.Course
    instructors: tuple[str, ...]
    students: tuple[str, ...]
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    state: Path = field(default=None)  # the hub's files; default: the course's hub/ folder

    def __post_init__(self):
        if self.state is None:
            self.state = Path(self.course.base) / "hub"
        self.state = Path(self.state)

    @property
    def url(self) -> str:
        """The address people open: ``http://IP:PORT``."""
        return f"http://{self.ip}:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.state / "jupyterhub_config.py"

    @property
    def autograde_socket(self) -> Path:
        """The Unix socket of the course's autograde service (graders/course/autograde_service.py)."""
        return self.state / "autograde.sock"

    @property
    def student_jupyter(self) -> Path:
        """The Jupyter config folder that switches nbgrader's instructor extensions off for students."""
        return self.course.student_jupyter

    def command(self) -> list[str]:
        """The command that starts the hub (run it as root, from any folder)."""
        return [str(VENV_BIN / "jupyterhub"), "-f", str(self.config_file)]

    def environment(self) -> dict[str, str]:
        """The hub's environment: this Python's bin/ first on PATH (see graders.course.paths.environment)."""
        return environment()


def passage_plan(paths: list[str] | None = None) -> dict:
    """The mounts that let other users reach this Python (a plan for ``_jail.set_up_mounts``).

    For each path (default: this Python, its environment and the repository),
    the first folder on the way that other users may not enter (no ``o+x``,
    e.g. ``/root`` holding pyenv's Python) is masked with an empty tmpfs and
    the next folder on the way bound back.  Empty when every path is reachable.
    """
    if paths is None:
        paths = [sys.executable, sys.prefix, sys.base_prefix, str(REPO)]
    masks: dict[str, set[str]] = {}
    for path in paths:
        parts = Path(os.path.realpath(path)).parts
        for i in range(1, len(parts) - 1):
            ancestor = os.path.join(*parts[:i + 1])
            if os.path.isdir(ancestor) and not os.stat(ancestor).st_mode & 0o001:
                masks.setdefault(ancestor, set()).add(os.path.join(*parts[:i + 2]))
                break
    return {"mask": [[d, sorted(keep)] for d, keep in sorted(masks.items())], "null": []}


def ensure_proxy(timeout: float = 300) -> Path:
    """Install configurable-http-proxy with npm into build/node/ unless it is there; returns its path.

    Raises FileNotFoundError when npm is missing, subprocess.CalledProcessError
    when npm fails, subprocess.TimeoutExpired after ``timeout`` seconds.
    Source: the npm package ``configurable-http-proxy`` (JupyterHub's default proxy).
    """
    if PROXY.exists():
        return PROXY
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm is needed to install configurable-http-proxy "
                                "(Debian: apt-get install npm)")
    NODE_PREFIX.mkdir(parents=True, exist_ok=True)
    subprocess.run([npm, "install", "--prefix", str(NODE_PREFIX), "--no-audit", "--no-fund",
                    "--loglevel=error", f"configurable-http-proxy@{PROXY_VERSION}"],
                   check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return PROXY


def give_course_to(course, instructor: str) -> None:
    """Make ``instructor`` (a Unix user) the owner of the course root and everything in it.

    Symbolic links (``source`` -> solutions/) are not followed.  Raises
    KeyError for an unknown user, PermissionError when not root.
    """
    entry = pwd.getpwnam(instructor)
    root = Path(course.root)
    for folder, dirs, files in os.walk(root):
        for name in [folder, *(os.path.join(folder, n) for n in dirs + files)]:
            os.lchown(name, entry.pw_uid, entry.pw_gid)


def spawn_command(plan: dict) -> list[str]:
    """The command that starts a user's JupyterLab as that user, after the mounts of ``plan``."""
    return [sys.executable, "-I", str(Path(__file__).with_name("_hub_user.py")),
            "--plan", json.dumps(plan), "--", str(VENV_BIN / "jupyterhub-singleuser")]


def write_config(hub: Hub) -> Path:
    """Write the hub's jupyterhub_config.py and the students' Jupyter config; returns the config file."""
    hub.state.mkdir(parents=True, exist_ok=True)
    hub.state.chmod(0o755)  # users' servers reach the autograde service's socket below it
    path = os.pathsep.join([str(VENV_BIN), "/usr/local/bin", "/usr/bin", "/bin"])
    hub.config_file.write_text(HUB_CONFIG.format(
        course_root=str(hub.course.root), instructors=sorted(hub.instructors),
        students=sorted(hub.students), public_url=hub.url, ip=hub.ip, hub_port=hub.hub_port,
        proxy_api_url=f"http://{hub.ip}:{hub.proxy_api_port}", proxy=str(PROXY),
        db_url=f"sqlite:///{hub.state / 'jupyterhub.sqlite'}",
        cookie_secret=str(hub.state / "jupyterhub_cookie_secret"),
        pid_file=str(hub.state / "jupyterhub.pid"),
        spawn_cmd=spawn_command(passage_plan()),
        student_cmd=spawn_command(student_view.merge(passage_plan(), hub.course.student_plan())),
        path=path, lab_config=str(Path(__file__).with_name("lab_config.py")),
        autograde_cmd=[sys.executable, "-m", "graders.course.autograde_service", str(hub.course.root),
                       "--socket", str(hub.autograde_socket)],
        autograde_socket=str(hub.autograde_socket),
        instructor_config_path=os.pathsep.join([str(hub.course.jupyter_config), str(hub.course.root)]),
        student_config_path=hub.course.student_config_path()))
    return hub.config_file


def prepare(hub: Hub, *, proxy_timeout: float = 300) -> Path:
    """Everything the hub needs before it starts; returns the config file.

    Installs the proxy (:func:`ensure_proxy`), gives the course root to the
    first instructor and writes the configuration.  Raises PermissionError when
    not root, KeyError when a named user does not exist.
    """
    if os.geteuid() != 0:
        raise PermissionError("the hub starts each user's JupyterLab as that user: run it as root")
    for name in (*hub.instructors, *hub.students):
        pwd.getpwnam(name)  # KeyError: no such Unix user
    if not hub.instructors:
        raise ValueError("a course hub needs an instructor")
    ensure_proxy(timeout=proxy_timeout)
    give_course_to(hub.course, hub.instructors[0])
    return write_config(hub)


try:
    from jupyterhub.spawner import LocalProcessSpawner
except ImportError:  # the hub extra is not installed
    LocalProcessSpawner = None

if LocalProcessSpawner is not None:
    class CourseSpawner(LocalProcessSpawner):
        """JupyterHub's LocalProcessSpawner whose command (graders/course/_hub_user.py) drops to the user.

        The hub runs as root; the command it starts opens the way to this
        Python for the user (:func:`passage_plan`), then becomes the user.
        """

        def make_preexec_fn(self, name):
            return None  # _hub_user.py sets the user, after its mounts (which need root)


def main(argv: list[str] | None = None) -> int:
    from graders.course import admin as course_admin
    parser = argparse.ArgumentParser(prog="python -m graders.course.hub", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", nargs="?", default=str(REPO / "build" / "course"),
                        help="the course (made with python -m graders course init if needed; "
                             "default build/course)")
    parser.add_argument("--instructor", action="append", required=True, metavar="USER",
                        help="a Unix user who teaches (repeatable; the first owns the course root)")
    parser.add_argument("--student", action="append", default=[], metavar="USER",
                        help="a Unix user who takes the course (repeatable)")
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="the hub's public port (default 8000)")
    parser.add_argument("--exchange", help="the exchange folder (default: the course's exchange/)")
    parser.add_argument("--private-python", action="store_true",
                        help="serve from an environment other users cannot run (the users' servers then "
                             "reach it through a private mount namespace only; their other logins cannot)")
    args = parser.parse_args(argv)
    problem = None if args.private_python else course_admin.environment_problem()
    if problem:
        print(f"error: {problem}\n(To go on anyway: --private-python, with make COURSE_ARGS=--private-python; "
              f"the users' servers then reach Python through a private mount namespace, their other logins "
              f"cannot.)", file=sys.stderr)
        return 2
    for name in (*args.instructor, *args.student):
        try:
            pwd.getpwnam(name)
        except KeyError:
            print(f"error: no Unix user {name!r} (create it: useradd -m {name} && passwd {name})",
                  file=sys.stderr)
            return 2
    course = course_admin.init(Path(args.dir), exchange=Path(args.exchange) if args.exchange else None)
    hub = Hub(course, tuple(args.instructor), tuple(args.student), ip=args.ip, port=args.port,
              hub_port=args.port + 81, proxy_api_port=args.port + 1)
    try:
        config = prepare(hub)
    except (PermissionError, KeyError, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"course root (instructor {hub.instructors[0]}): {course.root}")
    print(f"exchange: {course.exchange()}")
    print(f"hub: {hub.url}  (log in with a Unix user name and password; config {config})")
    os.chdir(hub.state)
    os.execve(hub.command()[0], hub.command(), hub.environment())


if __name__ == "__main__":
    sys.exit(main())
