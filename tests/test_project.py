"""The project's promises hold together: README set-up commands, CI script, Dockerfile, packaging."""

import ast
import importlib.metadata as md
import json
import os
import re
import sys
import tomllib
from pathlib import Path

import pytest

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.server.pages import PAGES
from app.server.settings import Settings

RUN_COMMAND = "pip install -c constraints.txt . && backprop-lab serve"
TEST_COMMAND = "./scripts/test"


def setup_commands(readme: str) -> list[str]:
    """The commands of the code blocks in the README's "Set-up" section."""
    section = readme.split("\n## Set-up\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL)]


def script_commands(path: Path) -> list[str]:
    """The lines of a shell script that do something, leaving out the shebang, comments, `set` and `cd`."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [line for line in lines if line and not line.startswith(("#", "set ", "cd "))]


@pytest.fixture(scope="module")
def readme(repo_root: Path) -> str:
    """The README's text."""
    return (repo_root / "README.md").read_text()


def test_readme_has_exactly_the_two_setup_commands(readme: str) -> None:
    assert setup_commands(readme) == [RUN_COMMAND, TEST_COMMAND]


def test_ci_runs_exactly_the_readme_test_command(repo_root: Path, readme: str) -> None:
    ci_run = repo_root / ".ci" / "run"
    assert os.access(ci_run, os.X_OK)
    assert script_commands(ci_run) == [setup_commands(readme)[1]]


def test_test_script_is_executable_and_strict(repo_root: Path) -> None:
    script = repo_root / "scripts" / "test"
    assert os.access(script, os.X_OK)
    assert "set -euo pipefail" in script.read_text()
    assert 'python -m pytest "$@"' in script.read_text()


def test_dockerfile_installs_and_serves_like_the_readme_plus_the_host_flag(repo_root: Path, readme: str) -> None:
    dockerfile = (repo_root / "Dockerfile").read_text()
    install, serve = setup_commands(readme)[0].split(" && ")
    run_lines = [line.removeprefix("RUN ").strip() for line in dockerfile.splitlines() if line.startswith("RUN ")]
    assert run_lines == [install]
    cmd_line = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    assert json.loads(cmd_line.removeprefix("CMD ")) == [*serve.split(), "--host", "0.0.0.0"]
    assert "EXPOSE 8000" in dockerfile


def test_console_script_points_at_the_cli_main(repo_root: Path) -> None:
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    assert project["name"] == "backprop-lab"
    assert project["scripts"] == {"backprop-lab": "app.cli:main"}


def test_readme_lists_every_page_of_the_registry(readme: str) -> None:
    for page in PAGES:
        assert f"| `{page.path}` | {page.title} | {'yes' if page.ready else 'not yet'} |" in readme


def test_readme_documents_every_setting_variable(readme: str) -> None:
    for name in Settings.model_fields:
        assert f"`{Settings.env_var(name)}`" in readme


def requirements(repo_root: Path, *groups: str) -> list[Requirement]:
    """pyproject.toml's requirements: the runtime ones, then those of each optional group named."""
    project = tomllib.loads((repo_root / "pyproject.toml").read_text())["project"]
    return [Requirement(line) for line in project["dependencies"] + sum((project["optional-dependencies"][group]
                                                                          for group in groups), [])]


def pins(repo_root: Path) -> dict[str, Requirement]:
    """constraints.txt by canonical package name."""
    lines = (repo_root / "constraints.txt").read_text().splitlines()
    return {canonicalize_name(pin.name): pin for pin in
            (Requirement(line) for line in lines if line.strip() and not line.startswith("#"))}


def test_every_package_app_imports_is_declared(repo_root: Path) -> None:
    declared = {canonicalize_name(requirement.name) for requirement in requirements(repo_root)}
    distributions = md.packages_distributions()
    imported = set()
    for path in (repo_root / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"app", "torch"}  # torch: `bench` only, when installed
    undeclared = {name: distributions.get(name) for name in third_party
                  if not {canonicalize_name(dist) for dist in distributions.get(name, [name])} & declared}
    assert not undeclared


def test_constraints_pin_every_requirement_exactly_and_torch_at_2_13_0(repo_root: Path) -> None:
    pinned = pins(repo_root)
    for requirement in requirements(repo_root, "test"):
        pin = pinned[canonicalize_name(requirement.name)]
        assert str(pin.specifier).startswith("=="), pin
        assert requirement.specifier.contains(str(pin.specifier).removeprefix("=="), prereleases=True), pin
    assert str(pinned["torch"]) == "torch==2.13.0"


def test_installed_packages_are_the_pinned_versions(repo_root: Path) -> None:
    """What the tests run with is what constraints.txt promises (scripts/test installs it so)."""
    for name, pin in pins(repo_root).items():
        try:
            version = md.version(name)
        except md.PackageNotFoundError:
            continue  # a package only some platforms install
        assert pin.specifier.contains(version, prereleases=True), f"{pin}, installed {version}"
