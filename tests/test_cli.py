"""The command line: help for every flag, and `serve` really serving."""

import json
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


def test_bench_quick_prints_one_json_line_of_figures(repo_root: Path) -> None:
    """The figures' shape, not their speed: benchmarks are never timed tests."""
    lines = run([sys.executable, "-m", "app", "bench", "--quick"], repo_root).strip().splitlines()
    assert len(lines) == 1
    figures = json.loads(lines[0])
    engine = figures["engine"]
    for key in ("forward_ms", "forward_trace_ms", "train_images_per_s", "infer_images_per_s"):
        assert engine[key] > 0, key
    if "skipped" in figures["torch"]:
        assert "speedup_vs_torch" not in figures
    else:
        assert figures["torch"]["forward_ms"] > 0
        assert set(figures["speedup_vs_torch"]) == {"forward", "forward_trace", "train", "infer"}
        expected = engine["train_images_per_s"] / figures["torch"]["train_images_per_s"]
        assert abs(figures["speedup_vs_torch"]["train"] - expected) < 1e-9
