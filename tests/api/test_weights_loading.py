"""The server loads LeNet-5's weights once at start; unusable weights are explained, and the rest still works."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.models.lenet import SHIPPED_WEIGHTS
from app.server.app import create_app
from app.settings import Settings


def test_the_shipped_weights_load_at_start(client: TestClient) -> None:
    lenet = client.app.state.lenet
    assert lenet.error is None
    assert lenet.metadata["report"]["test_accuracy"] >= 0.99


@pytest.mark.parametrize("content", [None, b"not a zip at all"], ids=["missing", "corrupt"])
def test_unusable_weights_say_how_to_train_or_restore_them(tmp_path: Path, content: bytes | None, caplog) -> None:
    path = tmp_path / "lenet5.npz"
    if content is not None:
        path.write_bytes(content)
    with TestClient(create_app(Settings(weights=path))) as client:
        health = client.get("/healthz").json()
        assert client.get("/").status_code == 200
    assert health["status"] == "ok"
    assert str(path) in health["lenet"]
    assert f"backprop-lab train --output {path}" in health["lenet"]
    assert str(SHIPPED_WEIGHTS) in health["lenet"]
    assert health["lenet"] in caplog.text
