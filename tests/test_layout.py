"""The repository's layout and metadata agree with the design card."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_top_level_layout():
    for name in ("notebooks", "solutions", "graders", "servers", "environment.yml", "README.md",
                 "pyproject.toml", "nbgrader_config.py", "tests", "examples", ".ci/run", "Makefile",
                 "docs/architecture.md"):
        assert (REPO / name).exists(), f"{name} is missing"


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pyproject = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        pyproject |= {_name(r) for r in extra}
    conda = set()
    text = (REPO / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        match = re.match(r"^\s+- ([A-Za-z0-9_.-]+)", line)
        if match and not line.strip().startswith("- -e") and match.group(1) not in ("pip",):
            conda.add(_name(match.group(1)))
    conda -= {"python", "make", "pip"}
    assert conda == pyproject, f"only in environment.yml: {conda - pyproject}; only in pyproject: {pyproject - conda}"


def test_readme_quick_start_is_two_commands():
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (REPO / ".ci/run").read_text()
