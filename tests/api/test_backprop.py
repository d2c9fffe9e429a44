"""POST /api/backprop: the contract scripts compare with other frameworks (fields, shapes, values against PyTorch on
the shipped weights), PNG bodies with ?label=, and errors as /api/predict's."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.server.app import create_app
from app.services.lenet import prepare
from app.services.lenet_backward import backward
from app.settings import Settings
from tests.api.test_predict import SHAPES, drawn_one, png

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")
F = torch.nn.functional

GRADIENT_SHAPES = {
    "conv1.w": [6, 1, 5, 5],
    "conv1.b": [6],
    "conv2.w": [16, 6, 5, 5],
    "conv2.b": [16],
    "fc1.w": [400, 120],
    "fc1.b": [120],
    "fc2.w": [120, 84],
    "fc2.b": [84],
    "fc3.w": [84, 10],
    "fc3.b": [10],
}


@pytest.fixture(scope="module")
def shipped():
    return load_lenet5()[0]


def test_the_answer_has_the_contracts_fields_and_shapes_and_pytorchs_values(
    client: TestClient, mnist: Mnist, shipped
) -> None:
    image, label = (mnist.test_images[0] / 255).astype(np.float32), 3
    response = client.post("/api/backprop", json={"image": image.tolist(), "label": label})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"loss", "prediction", "probabilities", "grad_scores", "gradients", "deltas"}
    assert {name: list(np.shape(v)) for name, v in body["gradients"].items()} == GRADIENT_SHAPES
    assert {name: list(np.shape(v)) for name, v in body["deltas"].items()} == SHAPES
    assert body["prediction"] == mnist.test_labels[0] and len(body["probabilities"]) == 10

    w = {name: torch.tensor(v.astype(np.float64), requires_grad=True) for name, v in shipped.params().items()}
    x = torch.tensor(image.astype(np.float64)).reshape(1, 1, 28, 28)
    pool1 = F.max_pool2d(F.relu(F.conv2d(x, w["conv1.w"], w["conv1.b"], padding=2)), 2)
    pool2 = F.max_pool2d(F.relu(F.conv2d(pool1, w["conv2.w"], w["conv2.b"])), 2)
    fc2 = F.relu(F.relu(pool2.reshape(1, -1) @ w["fc1.w"] + w["fc1.b"]) @ w["fc2.w"] + w["fc2.b"])
    scores = fc2 @ w["fc3.w"] + w["fc3.b"]
    scores.retain_grad()
    loss = F.cross_entropy(scores, torch.tensor([label]))
    loss.backward()
    assert body["loss"] == pytest.approx(float(loss.detach()), rel=1e-9)
    np.testing.assert_allclose(body["grad_scores"], scores.grad[0].numpy(), rtol=1e-9, atol=1e-15)
    for name, tensor in w.items():
        np.testing.assert_allclose(body["gradients"][name], tensor.grad.numpy(), rtol=1e-5, atol=1e-12, err_msg=name)


def test_a_png_body_takes_its_label_from_the_query(client: TestClient, shipped) -> None:
    pixels = drawn_one()
    response = client.post("/api/backprop?label=7", content=png(pixels), headers={"content-type": "image/png"})
    assert response.status_code == 200
    expected = backward(shipped, prepare(pixels, "mnist").image, 7)
    assert response.json()["loss"] == pytest.approx(expected.loss, rel=1e-12)
    np.testing.assert_allclose(response.json()["deltas"]["input"], expected.deltas["input"], rtol=1e-12, atol=1e-18)
    uploaded = client.post("/api/backprop?label=7", files={"file": ("one.png", png(pixels), "image/png")})
    assert uploaded.json() == response.json()


@pytest.mark.parametrize(
    "url, body, status, code, words",
    [
        ("/api/backprop", {"image": [[0.5] * 28] * 27, "label": 1}, 422, "bad_shape", "must be 28×28, got 27×28"),
        ("/api/backprop", {"image": [[2.0] * 28] * 28, "label": 1}, 422, "bad_value", "0..1"),
        ("/api/backprop", {"image": [[0.5] * 28] * 28}, 422, "bad_value", "label: Field required"),
        ("/api/backprop", {"image": [[0.5] * 28] * 28, "label": 10}, 422, "bad_value", "label"),
        ("/api/backprop", {"image": [[0.5] * 28] * 28, "label": "3"}, 422, "bad_value", "label"),
        ("/api/backprop", {"image": [[0.0] * 28] * 28, "label": 1}, 422, "empty", "no ink"),
        ("/api/backprop?label=2", {"image": [[0.5] * 28] * 28, "label": 1}, 422, "bad_query", "JSON body"),
        ("/api/backprop?label=12", {"image": [[0.5] * 28] * 28, "label": 1}, 422, "bad_query", "label"),
    ],
    ids=["27-rows", "out-of-range", "no-label", "label-10", "label-string", "empty", "two-labels", "query-12"],
)
def test_bad_json_bodies_get_the_typed_errors_of_predict(client: TestClient, url, body, status, code, words) -> None:
    response = client.post(url, json=body)
    assert response.status_code == status
    assert response.json()["code"] == code and words in response.json()["message"]


@pytest.mark.parametrize(
    "content, content_type, url, status, code",
    [
        (b'{"image": ', "application/json", "/api/backprop", 400, "bad_json"),
        (b"GIF89a....", "image/png", "/api/backprop?label=1", 400, "bad_png"),
        (png(np.full((40, 40), 255, np.uint8)), "image/png", "/api/backprop?label=1", 422, "empty"),
        (png(drawn_one(60)), "image/png", "/api/backprop", 422, "bad_query"),
        (b"hello", "text/plain", "/api/backprop", 415, "unsupported_media_type"),
    ],
    ids=["not-json", "not-png", "blank-png", "png-without-label", "text"],
)
def test_bad_bodies_get_typed_errors(client: TestClient, content, content_type, url, status, code) -> None:
    response = client.post(url, content=content, headers={"content-type": content_type})
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]


def test_the_endpoint_is_in_openapi_with_its_bodies_and_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    operation = spec["paths"]["/api/backprop"]["post"]
    assert {"application/json", "image/png", "multipart/form-data"} <= set(operation["requestBody"]["content"])
    assert {"200", "400", "413", "415", "422", "503"} <= set(operation["responses"])
    answer = spec["components"]["schemas"]["BackpropResponse"]["properties"]
    assert set(answer) == {"loss", "prediction", "probabilities", "grad_scores", "gradients", "deltas"}
    assert set(spec["components"]["schemas"]["ParameterGradients"]["properties"]) == set(GRADIENT_SHAPES)


def test_without_weights_the_answer_is_unavailable_with_the_reason(tmp_path) -> None:
    with TestClient(create_app(Settings(weights=tmp_path / "missing.npz"))) as client:
        response = client.post("/api/backprop", json={"image": [[0.5] * 28] * 28, "label": 1})
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable" and "missing.npz" in response.json()["message"]
