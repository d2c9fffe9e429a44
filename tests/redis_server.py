"""A real redis-server of the tests' own on a loopback port, which a test can stop and start again (an outage of the
room store). A durable one keeps its data as the README says a class's Redis should (append-only file, here with
fsync on every write), so rooms outlive the outage. It fails (never skips) when redis-server is missing:
./scripts/test installs Debian's package."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

REDIS_SERVER = Path("/usr/bin/redis-server")
START_TIMEOUT_S = 20.0


def answers(port: int) -> bool:
    """Whether a Redis server on the loopback port answers PING."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """redis-server on `port`, keeping its files in `folder` (durable: an append-only file; else no persistence);
    start() and stop() as often as the test likes."""

    def __init__(self, port: int, folder: Path, durable: bool = True) -> None:
        self.port, self.folder, self.durable = port, folder, durable
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        if not REDIS_SERVER.is_file():
            pytest.fail(
                f"redis-server is missing at {REDIS_SERVER}; ./scripts/test installs it with apt-get.", pytrace=False
            )
        command = [str(REDIS_SERVER), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        command += ["--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not answers(self.port):
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited with code {self.process.returncode}:\n{self.process.stdout.read()}")
            if time.monotonic() > deadline:
                pytest.fail(f"redis-server on port {self.port} did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server (SIGTERM: it finishes writing its append-only file)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
