"""The project's promises hold together: README set-up commands, CI script, Dockerfile, packaging."""

import ast
import importlib.metadata as md
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from app.server.pages import PAGES
from app.settings import Settings

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


def instructions(dockerfile: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions in order, as (keyword, arguments) with continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", dockerfile)
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(maxsplit=1)[0], line.split(maxsplit=1)[1]) for line in lines]


@pytest.fixture(scope="module")
def dockerfile(repo_root: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions."""
    return instructions((repo_root / "Dockerfile").read_text())


def test_dockerfile_installs_and_serves_like_the_readme_plus_the_host_flag(
    dockerfile: list[tuple[str, str]], readme: str
) -> None:
    install, serve = setup_commands(readme)[0].split(" && ")
    runs = [arguments for keyword, arguments in dockerfile if keyword == "RUN"]
    assert install.replace("pip install", "pip install --no-deps") in runs  # the app itself, pinned like the README
    assert any("pip install -c constraints.txt -r" in run for run in runs)  # its dependencies, pinned the same way
    assert json.loads(dict(dockerfile)["CMD"]) == [*serve.split(), "--host", "0.0.0.0"]
    assert ("EXPOSE", "8000") in dockerfile


def test_dockerfile_installs_the_dependencies_before_it_copies_the_code(dockerfile: list[tuple[str, str]]) -> None:
    """A change to the code reuses the dependencies' layer: only pyproject.toml and the pins are copied before it."""
    copies = [(at, arguments) for at, (keyword, arguments) in enumerate(dockerfile) if keyword == "COPY"]
    assert [arguments for _, arguments in copies] == ["pyproject.toml constraints.txt ./", ". ."]
    dependencies = next(
        at for at, (keyword, arguments) in enumerate(dockerfile) if keyword == "RUN" and "-r " in arguments
    )
    app = next(
        at for at, (keyword, arguments) in enumerate(dockerfile) if keyword == "RUN" and "--no-deps" in arguments
    )
    assert copies[0][0] < dependencies < copies[1][0] < app


def test_dockerfile_serves_as_a_user_that_is_not_root(dockerfile: list[tuple[str, str]]) -> None:
    users = [(at, arguments) for at, (keyword, arguments) in enumerate(dockerfile) if keyword == "USER"]
    assert len(users) == 1 and users[0][1] not in ("root", "0")
    last_run = max(at for at, (keyword, _) in enumerate(dockerfile) if keyword == "RUN")
    assert any(
        keyword == "RUN" and "useradd" in arguments and users[0][1] in arguments for keyword, arguments in dockerfile
    )
    assert last_run < users[0][0]


def test_dockerfile_healthcheck_asks_healthz_with_python_alone(
    dockerfile: list[tuple[str, str]], start_server: Callable[..., AbstractContextManager[str]], repo_root: Path
) -> None:
    """The HEALTHCHECK's own command, run here: 0 against a live server, an error against a closed port."""
    healthcheck = dict(dockerfile)["HEALTHCHECK"]
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"] and "/healthz" in command[2] and "curl" not in healthcheck
    with start_server() as base_url:
        port = base_url.rsplit(":", 1)[1]
        run = [sys.executable, *command[1:]]
        alive = subprocess.run(
            run, env={**os.environ, "BACKPROP_LAB_PORT": port}, capture_output=True, timeout=30, check=False
        )
    assert alive.returncode == 0, alive.stderr
    dead = subprocess.run(
        run, env={**os.environ, "BACKPROP_LAB_PORT": port}, capture_output=True, timeout=30, check=False
    )
    assert dead.returncode != 0


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
    lines = project["dependencies"] + [line for group in groups for line in project["optional-dependencies"][group]]
    return [Requirement(line) for line in lines]


def pins(repo_root: Path) -> dict[str, Requirement]:
    """constraints.txt by canonical package name."""
    lines = (repo_root / "constraints.txt").read_text().splitlines()
    return {
        canonicalize_name(pin.name): pin
        for pin in (Requirement(line) for line in lines if line.strip() and not line.startswith("#"))
    }


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
    undeclared = {
        name: distributions.get(name)
        for name in third_party
        if not {canonicalize_name(dist) for dist in distributions.get(name, [name])} & declared
    }
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
