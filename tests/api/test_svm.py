"""POST /api/svm from outside: its answer against scikit-learn's SVC, the grid, the defaults, and a typed 4xx
error naming the value for every bad request; the endpoint is in OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.svm import SVC

from app.server.app import create_app
from app.settings import Settings

XOR = {"points": [[0, 0], [0, 1], [1, 0], [1, 1]], "labels": [0, 1, 1, 0]}


def random_problem(kernel: str, seed: int) -> dict[str, Any]:
    """A request body: 30–120 noisy points of a curved class boundary and the kernel's parameters."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 120))
    points = rng.uniform(-2, 2, size=(n, 2))
    labels = (points[:, 0] ** 2 + points[:, 1] + 0.4 * rng.normal(size=n) > 1).astype(int)
    labels[:2] = [0, 1]
    return {
        "points": points.tolist(),
        "labels": labels.tolist(),
        "kernel": kernel,
        "C": float(10 ** rng.uniform(-1, 1.5)),
        "gamma": float(10 ** rng.uniform(-0.7, 0.3)),
        "degree": int(rng.integers(1, 4)),
        "coef0": float(rng.uniform(0, 2)),
    }


def svc(body: dict[str, Any]) -> SVC:
    """scikit-learn's SVC on the same problem (its default tolerance 1e-3 is the server's)."""
    return SVC(C=body["C"], kernel=body["kernel"], gamma=body["gamma"], degree=body["degree"], coef0=body["coef0"]).fit(
        np.array(body["points"]), np.array(body["labels"])
    )


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kernel", ["linear", "poly", "rbf"])
def test_the_answer_is_scikit_learns_svm(client: TestClient, kernel: str, seed: int) -> None:
    body = random_problem(kernel, seed)
    response = client.post("/api/svm", json={**body, "grid": 21})
    assert response.status_code == 200, response.text
    answer, theirs = response.json(), svc(body)
    points, labels, n = np.array(body["points"]), np.array(body["labels"]), len(body["labels"])
    alpha = np.array(answer["alpha"])
    assert alpha.shape == (n,) and (alpha >= 0).all() and (alpha <= body["C"]).all()
    assert answer["support"] == np.flatnonzero(alpha > 0).tolist() and answer["converged"]
    y = np.where(labels == 1, 1.0, -1.0)
    their_alpha = np.zeros(n)
    their_alpha[theirs.support_] = np.abs(theirs.dual_coef_[0])
    gram = pairwise_kernels(
        points, metric=kernel, filter_params=True, gamma=body["gamma"], degree=body["degree"], coef0=body["coef0"]
    )
    weights = their_alpha * y
    their_w = their_alpha.sum() - 0.5 * weights @ gram @ weights
    assert answer["dual_objective"] == pytest.approx(their_w, rel=1e-3)
    scale = max(1.0, float(np.abs(theirs.decision_function(points)).max()))
    np.testing.assert_allclose(answer["decision"], theirs.decision_function(points), atol=0.02 * scale)
    assert (np.sign(answer["decision"]) == np.sign(theirs.decision_function(points))).mean() >= 0.99
    grid = answer["grid"]
    assert len(grid["x"]) == len(grid["y"]) == len(grid["f"]) == 21 and {len(row) for row in grid["f"]} == {21}
    lo, hi = points.min(axis=0), points.max(axis=0)
    assert (grid["x"][0], grid["x"][-1], grid["y"][0], grid["y"][-1]) == (lo[0], hi[0], lo[1], hi[1])
    xs, ys = np.meshgrid(grid["x"], grid["y"])
    cells = np.stack([xs.ravel(), ys.ravel()], 1)
    np.testing.assert_allclose(np.array(grid["f"]).ravel(), theirs.decision_function(cells), atol=0.02 * scale)
    assert (np.sign(np.array(grid["f"]).ravel()) == np.sign(theirs.decision_function(cells))).mean() >= 0.99
    assert float(y @ alpha) == pytest.approx(0.0, abs=1e-9 * body["C"] * n)


def test_a_script_reaches_a_real_server_and_gets_scikit_learns_svm(
    start_server: Callable[..., AbstractContextManager[str]],
) -> None:
    """From outside: uvicorn, the Host and Origin guard (a script sends no Origin) and curl's form content type."""
    body = random_problem("rbf", 7)
    with start_server() as base_url:
        response = httpx.post(
            f"{base_url}/api/svm",
            content=json.dumps(body),
            headers={"content-type": "application/x-www-form-urlencoded"},  # what `curl -d` sends
            timeout=30,
        )
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    decision = svc(body).decision_function(np.array(body["points"]))
    np.testing.assert_allclose(response.json()["decision"], decision, atol=0.02 * max(1.0, np.abs(decision).max()))


def test_xor_with_the_degree_2_kernel_is_separated_and_the_grid_spans_the_points(client: TestClient) -> None:
    response = client.post("/api/svm", json={**XOR, "kernel": "poly", "degree": 2, "C": 1000, "grid": 5})
    answer = response.json()
    assert response.status_code == 200
    assert set(answer) == {"alpha", "b", "support", "dual_objective", "decision", "iterations", "converged", "grid"}
    margins = np.where(np.array(XOR["labels"]) == 1, 1.0, -1.0) * np.array(answer["decision"])
    assert (margins >= 1 - 1e-3).all()  # on or beyond the margin: separated, f positive for label 1
    assert answer["support"] == [0, 1, 2, 3]
    assert answer["grid"]["x"] == [0.0, 0.25, 0.5, 0.75, 1.0] == answer["grid"]["y"]
    f = np.array(answer["grid"]["f"])
    assert f.shape == (5, 5)
    assert f[0, 0] == pytest.approx(answer["decision"][0]) and f[4, 0] == pytest.approx(answer["decision"][1])
    assert f[0, 4] == pytest.approx(answer["decision"][2])  # row: x2 = y[row]; column: x1 = x[col]


def test_without_a_grid_there_is_no_grid_and_omitted_parameters_take_their_defaults(client: TestClient) -> None:
    short = client.post("/api/svm", json={**XOR, "kernel": "poly"}).json()
    explicit = client.post(
        "/api/svm", json={**XOR, "kernel": "poly", "C": 1.0, "gamma": 1.0, "degree": 3, "coef0": 1.0}
    ).json()
    assert "grid" not in short and short == explicit


def test_a_fit_out_of_iterations_answers_the_best_alpha_found_and_says_so() -> None:
    body = random_problem("poly", 0) | {"C": 1000.0, "gamma": 2.0, "degree": 3}
    with TestClient(create_app(Settings(svm_max_iterations=100))) as client:
        answer = client.post("/api/svm", json=body).json()
    assert answer["converged"] is False and answer["iterations"] == 100
    assert min(answer["alpha"]) >= 0 and max(answer["alpha"]) <= 1000.0


@pytest.fixture
def small_client() -> Iterator[TestClient]:
    """A server with small limits: 6 points, degree 4, a 30×30 grid and 2,000-byte bodies."""
    settings = Settings(svm_max_points=6, svm_max_degree=4, svm_max_grid=30, svm_max_body_bytes=2000)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    "change, status, code, words",
    [
        ({"C": 0}, 422, "bad_value", "C = 0: input should be greater than 0"),
        ({"C": -1.5}, 422, "bad_value", "C = -1.5"),
        ({"gamma": 0}, 422, "bad_value", "gamma = 0: input should be greater than 0"),
        ({"gamma": -2}, 422, "bad_value", "gamma = -2"),
        ({"degree": 0}, 422, "bad_value", "degree = 0: input should be greater than or equal to 1"),
        (
            {"degree": 5},
            422,
            "bad_value",
            "degree must be at most 4 on this server (BACKPROP_LAB_SVM_MAX_DEGREE), got 5",
        ),
        ({"degree": 2.5}, 422, "bad_value", "degree = 2.5"),
        ({"labels": [1, 1, 1, 1]}, 422, "bad_value", "every point has label 1: an SVM needs both classes"),
        ({"labels": [0, 0, 0, 0]}, 422, "bad_value", "every point has label 0"),
        ({"labels": [0, 1, 2, 0]}, 422, "bad_value", "labels.2 = 2"),
        ({"labels": [0, 1, "1", 0]}, 422, "bad_value", 'labels.2 = "1"'),
        ({"labels": [0, 1, True, 0]}, 422, "bad_value", "labels.2 = true"),
        ({"labels": [0, 1, 1]}, 422, "bad_shape", "3 labels for 4 points"),
        ({"points": [[0, 0], [0, 1], [1, 0], [1, 1, 1]]}, 422, "bad_value", "points.3"),
        ({"points": [[0, 0], [0, 1], [1, 0], [1, "x"]]}, 422, "bad_value", 'points.3.1 = "x"'),
        ({"points": [[0, 0]], "labels": [1]}, 422, "bad_value", "points: list should have at least 2 items"),
        ({"points": [[0, 0], [0, 1], [1, 0], [1e300, 1]], "degree": 3}, 422, "bad_value", "overflows"),
        ({"kernel": "sigmoid"}, 422, "bad_value", 'kernel = "sigmoid"'),
        ({"kernel": None}, 422, "bad_value", "kernel"),
        ({"colour": "red"}, 422, "bad_value", 'colour = "red": extra inputs are not permitted'),
        ({"grid": 31}, 422, "bad_value", "grid must be at most 30 on this server (BACKPROP_LAB_SVM_MAX_GRID), got 31"),
        ({"grid": 1}, 422, "bad_value", "grid = 1"),
        (
            {"points": [[i, i] for i in range(7)], "labels": [0, 1] * 3 + [0]},
            422,
            "bad_value",
            "(BACKPROP_LAB_SVM_MAX_POINTS), got 7",
        ),
        ({"points": [[0.123456789] * 2] * 200, "labels": [0, 1] * 100}, 413, "too_large", "over the limit of 2000"),
    ],
)
def test_bad_requests_get_a_typed_error_naming_the_value(
    small_client: TestClient, change: dict[str, Any], status: int, code: str, words: str
) -> None:
    body = {**XOR, "kernel": "poly", "degree": 2} | change
    body = {key: value for key, value in body.items() if value is not None}
    response = small_client.post("/api/svm", json=body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == code and words in response.json()["message"], response.json()


def test_the_degree_limit_is_for_the_poly_kernel_only(small_client: TestClient) -> None:
    response = small_client.post("/api/svm", json={**XOR, "kernel": "rbf", "degree": 50})
    assert response.status_code == 200 and response.json()["converged"]


@pytest.mark.parametrize(
    "text, status, code, words",
    [
        ('{"points": [[0, 0]', 400, "bad_json", "not JSON"),
        ("[1, 2]", 422, "bad_value", "Input should be an object"),
        ('{"points": [[0, NaN], [1, 1]], "labels": [0, 1], "kernel": "rbf"}', 422, "bad_value", "points.0.1 = NaN"),
        (
            '{"points": [[0, 0], [1, 1]], "labels": [0, 1], "kernel": "rbf", "C": 1e999}',
            422,
            "bad_value",
            "C = Infinity",
        ),
    ],
)
def test_bad_bodies_get_a_typed_error(client: TestClient, text: str, status: int, code: str, words: str) -> None:
    response = client.post("/api/svm", content=text, headers={"content-type": "application/json"})
    assert response.status_code == status
    assert response.json()["code"] == code and words in response.json()["message"], response.json()


def test_the_endpoint_is_in_openapi_with_its_fields_and_errors(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/svm"]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(request["properties"]) == {"points", "labels", "kernel", "C", "gamma", "degree", "coef0", "grid"}
    assert set(request["required"]) == {"points", "labels", "kernel"}
    assert {"200", "400", "413", "422", "503"} <= set(operation["responses"])
    answer = json.dumps(operation["responses"]["200"])
    assert "SvmResponse" in answer
