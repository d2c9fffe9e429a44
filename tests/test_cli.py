"""The command line: help for every flag, and `serve` really serving."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import httpx
from websockets.sync.client import connect


def run(command: list[str], cwd: Path) -> str:
    """Stdout of `command`, which must succeed (within a bound a loaded 2-core machine keeps: torch's import and
    `bench --quick` took over 30 s there)."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True, timeout=180).stdout


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


def test_serve_refuses_several_workers_without_redis(repo_root: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "BACKPROP_LAB_REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--workers", "2", "--port", "1"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert result.returncode == 2
    assert "BACKPROP_LAB_REDIS_URL" in result.stderr


def test_two_workers_on_redis_share_one_room(
    start_server: Callable[..., AbstractContextManager[str]], redis_url: str
) -> None:
    """Teacher and students land on either process (the kernel spreads the connections); every student still
    gets the teacher's view, because the room lives in Redis."""
    with start_server({"BACKPROP_LAB_REDIS_URL": redis_url}, ("--workers", "2")) as base_url:
        room = httpx.post(f"{base_url}/api/rooms", timeout=5).json()
        ws_url = base_url.replace("http", "ws") + "/ws/room"
        with ExitStack() as stack:
            sockets = [stack.enter_context(connect(ws_url, open_timeout=10)) for _ in range(9)]
            for n, ws in enumerate(sockets):
                ws.send(json.dumps({"type": "hello", "version": 1}))
                assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
                join = {"type": "join", "code": room["code"], **({"key": room["key"]} if n == 0 else {})}
                ws.send(json.dumps(join))
                assert next_of(ws, "joined")["role"] == ("teacher" if n == 0 else "student")
            teacher, students = sockets[0], sockets[1:]
            teacher.send(json.dumps({"type": "view", "page": "/conv", "query": "?k=5", "state": {"step": 7}}))
            for ws in students:
                view = next_of(ws, "view")
                assert (view["page"], view["query"], view["state"]) == ("/conv", "?k=5", {"step": 7})


def next_of(ws, kind: str) -> dict:
    """The next message of this type on a websockets connection (room events such as counts may come first)."""
    for _ in range(100):
        message = json.loads(ws.recv(timeout=10))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")
