"""Command line: ``graders COMMAND`` (the environment's console script), or ``python -m graders COMMAND``.

    graders check ASSIGNMENT FILE [--json] [--visible-only] [--html OUT.html] [--explore [N]]
        Run an assignment's checks on a server file (or a notebook: its answer
        cell is graded).  Exit status 0 only when every check passes.  --html
        also writes the transcripts as sequence diagrams (graders.checking.diagram).
        --explore gives the check of generated scenarios (graders.checking.explore)
        N times its autograde budget (default 10).
    graders demo
        Generate, autograde, give feedback on and export the sample submissions.
    graders autograde ASSIGNMENT [--student ID] [--jobs N] [--root DIR]
                     [--scheduler ADDRESS [--worker-wait SECONDS]]
        Autograde every submission (or one) with nbgrader, in parallel (on a
        Dask cluster: --scheduler).
    graders course init [DIR] [--exchange PATH] [--roster CSV] [--lab]
        Create an instructor's course in DIR (default build/course): docs/course.md.
    graders course student-lab [DIR] [--lab-args OPTIONS]
        A student's JupyterLab on the current folder, with the course's Assignments tab.
    graders report [ASSIGNMENT...] [--root DIR]
        Write the class report (report.html, check_results.csv) of a graded course.
    graders export ASSIGNMENT [--root DIR] [--out DIR]
        grades.csv and a Gradescope results.json per submission of a course.
    graders gradescope ASSIGNMENT [--submission DIR] [--results DIR]
        Grade a submission folder into results.json (Gradescope's run_autograder does).
    graders gradescope-zip ASSIGNMENT [OUT]
        The autograder.zip (setup.sh, run_autograder, this package) to upload to Gradescope.
    graders release
        Regenerate notebooks/ (the student workbook) from solutions/.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def _find(path: Path, assignment: str) -> Path | None:
    """``path``, or where the student most likely meant it: the assignment's notebook folder.

    The command the notebooks print (``graders check swap swap_server.py``) is
    meant for the notebook's folder; JupyterLab's terminal opens in
    ``notebooks/`` and a clone's shell in the repository: from there,
    ``swap/swap_server.py`` and ``notebooks/swap/swap_server.py`` are taken
    (and named on stderr).  None when there is no such file.
    """
    if path.is_file():
        return path
    if path.is_absolute() or len(path.parts) != 1:
        return None
    from graders.course import NOTEBOOKS
    for folder in (Path(assignment), Path("notebooks") / assignment, NOTEBOOKS / assignment):
        if (folder / path).is_file():
            print(f"note: checking {folder / path}", file=sys.stderr)
            return folder / path
    return None


def cmd_check(args: argparse.Namespace) -> int:
    from graders.sandbox import prewarm
    prewarm(Path(args.file) if args.file.endswith(".py") else None)  # the zygote imports while we do
    from graders.checking import answers
    from graders import assignments
    from graders.checking.checks import run_checks
    try:
        assignment = assignments.get(args.assignment)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    path = _find(Path(args.file), assignment.name)
    if path is None:
        from graders.course import NOTEBOOKS
        print(f"no such file: {args.file} (in {Path.cwd()}). The answer cell of {assignment.name}.ipynb "
              f"writes {assignment.answer_file} beside the notebook: run this in its folder "
              f"({NOTEBOOKS / assignment.name}), or give the file's path.", file=sys.stderr)
        return 2
    if args.explore:
        os.environ["GRADERS_EXPLORE_SCALE"] = str(args.explore)  # read by graders.checking.explore
    with tempfile.TemporaryDirectory(prefix="graders-answer-") as tmp:
        if path.suffix == ".ipynb":
            try:
                notes: list[str] = []
                path = answers.extract(path, assignment.answer_file, Path(tmp), notes)
            except answers.AnswerNotFound as exc:
                print(f"{args.file}: {exc}", file=sys.stderr)
                return 2
            for note in notes:  # e.g. an answer cell that lost its %%writefile line
                print(f"{args.file}: note: {note}", file=sys.stderr)
        report = run_checks(assignment, path, only=args.only or None,
                            include_hidden=not args.visible_only)
    report.file = args.file
    if args.html:
        from graders.checking.diagram import page
        Path(args.html).write_text(page(report), encoding="utf-8")
    print(report.to_json() if args.json else report.render(transcripts=args.transcripts))
    return 0 if report.passed else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="graders", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("check", help="run an assignment's checks on a server file or notebook")
    p.add_argument("assignment")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--only", action="append", metavar="CHECK", help="run only this check (repeatable)")
    p.add_argument("--visible-only", action="store_true", help="skip the hidden checks")
    p.add_argument("--html", metavar="OUT.html",
                   help="also write the report, with sequence diagrams, as an HTML page")
    p.add_argument("--transcripts", choices=("all", "failed", "none"), default="failed",
                   help="which checks' transcripts to print (default: failed)")
    p.add_argument("--explore", type=int, nargs="?", const=10, default=0, metavar="N",
                   help="explore N times more generated scenarios than at autograde (default N: 10)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("demo", help="grade the sample submissions end to end")
    p.add_argument("--root", default="build/demo", help="course directory to use (default build/demo)")
    p.add_argument("--jobs", type=int, default=0, help="local worker processes (default: CPU count + 1)")
    p.set_defaults(func=lambda a: __import__("graders.demo", fromlist=["main"]).main(a))

    p = sub.add_parser("autograde", help="autograde submissions with nbgrader, in parallel")
    p.add_argument("assignment")
    p.add_argument("--student", action="append", help="only this student (repeatable): a regrade")
    p.add_argument("--jobs", type=int, default=0,
                   help="local worker processes (default: CPU count + 1)")
    p.add_argument("--root", default=".", help="nbgrader course directory")
    p.add_argument("--force", action="store_true", help="regrade students already graded")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask distributed cluster (tcp://HOST:8786) instead of this machine")
    p.add_argument("--allow-fallback", action="store_true",
                   help="let cluster workers without namespaces grade in the weaker fallback sandbox")
    p.add_argument("--worker-wait", type=float, default=120.0, metavar="SECONDS",
                   help="with --scheduler: how long to wait for a worker when the cluster has none, "
                        "before stopping (a rerun grades what is left; default 120)")
    p.set_defaults(func=lambda a: __import__("graders.grading.batch", fromlist=["main"]).main(a))

    p = sub.add_parser("course", help="create an instructor's course (Formgrader, exchange): docs/course.md")
    p.add_argument("action", choices=("init", "student-lab"),
                   help="init: create or update the course; student-lab: a student's JupyterLab on the "
                        "current folder, with the course's Assignments tab (run it as the student)")
    p.add_argument("dir", nargs="?", default="build/course", help="course folder (default build/course)")
    p.add_argument("--exchange", help="nbgrader exchange root (default DIR/exchange)")
    p.add_argument("--lab", action="store_true", help="then start the instructor's JupyterLab on the course")
    p.add_argument("--lab-args", default="", metavar="OPTIONS",
                   help="more JupyterLab options, in one string (e.g. '--no-browser --port 8890')")
    p.add_argument("--roster", metavar="CSV",
                   help="add the students of CSV (columns id, first_name, last_name, email, as nbgrader's "
                        "`db student import`) to the gradebook")
    p.add_argument("--private-python", action="store_true",
                   help="allow an environment other users cannot run (you are the course's only user here)")
    p.set_defaults(func=lambda a: __import__("graders.course.admin", fromlist=["main"]).main(a))

    p = sub.add_parser("report", help="write ROOT/report.html and ROOT/check_results.csv after autograding")
    p.add_argument("assignments", nargs="*", help="default: every assignment with submissions")
    p.add_argument("--root", default=".", help="nbgrader course directory")
    p.set_defaults(func=lambda a: __import__("graders.reports.class_report", fromlist=["main"]).main(a))

    p = sub.add_parser("export", help="grades.csv and a Gradescope results.json per submission of a course")
    p.add_argument("assignment")
    p.add_argument("--root", default=".", help="nbgrader course directory")
    p.add_argument("--out", help="where to write (default ROOT/exports)")
    p.set_defaults(func=lambda a: __import__("graders.reports.gradescope", fromlist=["x"]).main_export(a))

    p = sub.add_parser("gradescope", help="grade a submission folder into results.json (Gradescope's run_autograder)")
    p.add_argument("assignment")
    p.add_argument("--submission", default="/autograder/submission", help="folder with the notebook or answer file")
    p.add_argument("--results", default="/autograder/results", help="folder to write results.json into")
    p.set_defaults(func=lambda a: __import__("graders.reports.gradescope", fromlist=["x"]).main_grade(a))

    p = sub.add_parser("gradescope-zip", help="write the autograder.zip to upload to Gradescope")
    p.add_argument("assignment")
    p.add_argument("out", nargs="?", help="default build/gradescope/ASSIGNMENT/autograder.zip")
    p.set_defaults(func=lambda a: __import__("graders.reports.gradescope", fromlist=["x"]).main_zip(a))

    p = sub.add_parser("release", help="regenerate notebooks/ from solutions/")
    p.add_argument("assignments", nargs="*", help="default: all")
    p.set_defaults(func=lambda a: __import__("graders.course.release", fromlist=["main"]).main(a))

    args = parser.parse_args(argv)
    return args.func(args)


def run() -> None:
    """The ``graders`` console script (pyproject.toml) and ``python -m graders``."""
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into `head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    run()
