"""The command line: help for every flag, and `serve` really serving."""

import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import httpx


def run(command: list[str], cwd: Path) -> str:
    """Stdout of `command`, which must succeed."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True, timeout=30).stdout


def test_python_m_app_help_lists_the_subcommands(repo_root: Path) -> None:
    output = run([sys.executable, "-m", "app", "--help"], repo_root)
    assert "serve" in output
    assert "bench" in output


def test_console_script_serve_help_lists_its_flags(repo_root: Path) -> None:
    output = run(["backprop-lab", "serve", "--help"], repo_root)
    for flag in ("--host", "--port", "--log-level"):
        assert flag in output


def test_bench_help_lists_quick(repo_root: Path) -> None:
    assert "--quick" in run([sys.executable, "-m", "app", "bench", "--help"], repo_root)


def test_serve_starts_a_server_answering_healthz(start_server: Callable[[], AbstractContextManager[str]]) -> None:
    with start_server() as base_url:
        response = httpx.get(f"{base_url}/healthz", timeout=5)
    assert response.json()["status"] == "ok"
