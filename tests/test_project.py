"""The project's promises hold together: README set-up commands, CI script, Dockerfile, packaging."""

import json
import os
import re
import tomllib
from pathlib import Path

import pytest

from app.server.pages import PAGES
from app.server.settings import Settings

RUN_COMMAND = "pip install . && backprop-lab serve"
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
