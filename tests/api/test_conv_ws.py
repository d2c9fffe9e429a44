"""The /ws/conv websocket: walkthrough plans streamed as binary frames, assets, and typed errors for bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.server.app import create_app
from app.settings import Settings
from app.wire.conv import CONV_MESSAGES
from app.wire.frames import unpack_frame
from app.wire.protocol import PROTOCOL_VERSION
from tests import seed

SEED_IMAGE = seed.SEED_IMAGE.tolist()
SEED_KERNEL = seed.SEED_KERNEL.tolist()


def seed_request(**changes) -> dict:
    """The recitation's example as a conv_plan request, with changes."""
    return {"type": "conv_plan", "input": [SEED_IMAGE], "kernels": [[SEED_KERNEL]], "bias": [0], **changes}


def test_a_validated_plan_holds_each_box_of_numbers_as_one_array() -> None:
    """A plan waiting for the compute threads keeps an array, not a Python float per value (pymalloc fragmentation
    after a flood of the largest plans: app/wire/conv.py)."""
    plan = CONV_MESSAGES.validate_python(seed_request())
    for name, shape in (("input", (1, 7, 7)), ("kernels", (1, 1, 3, 3)), ("bias", (1,))):
        array = getattr(plan, name)
        assert isinstance(array, np.ndarray) and array.dtype == np.float64 and array.shape == shape
        assert array.tolist() == seed_request()[name]


@pytest.fixture
def conv_client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(stream_interval_s=0.0))) as client:
        yield client


def greeted(ws) -> dict:
    ws.send_json({"type": "hello", "version": PROTOCOL_VERSION})
    return ws.receive_json()


def receive_plan(ws) -> tuple[dict, dict, list[tuple[dict, dict]]]:
    """The plan frame and all its chunks."""
    header, arrays = unpack_frame(ws.receive_bytes())
    assert header["type"] == "conv_plan"
    chunks = [unpack_frame(ws.receive_bytes()) for _ in range(header["chunks"])]
    assert all(part["type"] == "conv_windows" and part["plan"] == header["plan"] for part, _ in chunks)
    return header, arrays, chunks


def test_welcome_carries_the_conv_limits(conv_client: TestClient) -> None:
    with conv_client.websocket_connect("/ws/conv") as ws:
        limits = greeted(ws)["limits"]
    assert limits["max_size"] == 32 and limits["max_kernel"] == 9 and limits["max_terms"] == 200_000


def test_seed_plan_gives_the_slides_5x5_then_stride2_3x3_on_one_connection(conv_client: TestClient) -> None:
    with conv_client.websocket_connect("/ws/conv") as ws:
        greeted(ws)
        ws.send_json(seed_request())
        header, arrays, chunks = receive_plan(ws)
        assert header["conv"]["out"] == [5, 5] and header["plan"] == 1
        np.testing.assert_array_equal(
            arrays["output"][0], [[3, 2, 2, 3, 1], [2, 0, 2, 1, 0], [2, 2, 1, 0, 0], [3, 1, 0, 0, 0], [1, 0, 0, 0, 0]]
        )
        assert chunks[0][1]["products"].shape == (1, 1, 3, 3, 5, 5)
        running = chunks[-1][1]  # the backward sums as they build up; after the last window, the engine's
        assert running["dx_running"].shape == running["dw_running"].shape == (1, 1, 3, 3, 5, 5)
        np.testing.assert_array_equal(running["dw_running"][..., -1, -1], arrays["dw"])
        np.testing.assert_array_equal(running["db_running"][:, -1, -1], arrays["db"])
        ws.send_json(seed_request(stride=2))
        header, arrays, _ = receive_plan(ws)
        assert header["plan"] == 2
        np.testing.assert_array_equal(arrays["output"][0], [[3, 2, 1], [2, 1, 0], [1, 0, 0]])


def test_padding_mode_same_is_resolved_by_the_engine(conv_client: TestClient) -> None:
    with conv_client.websocket_connect("/ws/conv") as ws:
        greeted(ws)
        ws.send_json(seed_request(padding="same", stage2={"kind": "max", "k": 2, "s": 2}))
        header, arrays, _ = receive_plan(ws)
    assert header["conv"]["p"] == 1 and header["conv"]["out"] == [7, 7]
    assert header["stage2"]["out"] == [3, 3] and arrays["winners"].shape == (1, 3, 3)


def test_a_32x32_input_streams_in_chunks_of_whole_rows(conv_client: TestClient) -> None:
    image = np.random.default_rng(0).integers(0, 2, (32, 32)).tolist()
    with conv_client.websocket_connect("/ws/conv") as ws:
        greeted(ws)
        ws.send_json(seed_request(input=[image]))
        header, _, chunks = receive_plan(ws)
    assert header["conv"]["out"] == [30, 30] and header["chunks"] == 4
    assert sum(part["rows"] for part, _ in chunks) == 30 and chunks[0][0]["row0"] == 0


@pytest.mark.parametrize(
    "raw, code, words",
    [
        ("{nope", "bad_json", "not JSON"),
        ('{"type": "conv_plan", "input": [[[NaN]]], "kernels": [[[[1]]]], "bias": [0]}', "bad_value", "NaN"),
        (json.dumps(seed_request(input=[[[1, 2], [3]]])), "bad_shape", "every row the same length"),
        (json.dumps(seed_request(input=[])), "bad_shape", "non-empty"),
        (json.dumps(seed_request(input=[[["1"] * 7] * 7])), "bad_value", "numbers only"),
        (json.dumps(seed_request(bias=0)), "bad_shape", "got a single number"),
        (json.dumps(seed_request(input=[SEED_IMAGE, SEED_IMAGE])), "bad_shape", "2 channels"),
        (json.dumps(seed_request(kernels=[[[[1, 2, 3], [1, 2, 3]]]])), "bad_shape", "square"),
        (json.dumps(seed_request(bias=[0, 1])), "bad_shape", "one number per kernel"),
        (json.dumps(seed_request(stride=99)), "bad_value", "stride must be at most 8"),
        (json.dumps(seed_request(input=[[[5000] * 7] * 7])), "bad_value", "BACKPROP_LAB_CONV_MAX_VALUE"),
        (json.dumps(seed_request(input=[[[0] * 33] * 7])), "bad_value", "input size must be at most 32"),
        (json.dumps(seed_request(stride="two")), "bad_message", "stride"),
        (json.dumps(seed_request(colour="red")), "bad_message", "colour"),
        (json.dumps(seed_request(padding="half")), "bad_message", "padding"),
        (json.dumps(seed_request(kernels=[[[[1] * 9] * 9]])), "impossible", "larger than the padded input 7"),
        (json.dumps(seed_request(stride=0)), "impossible", "stride 0 must be at least 1"),
        (json.dumps(seed_request(kernels=[[[[1] * 4] * 4]], padding="same")), "impossible", "odd kernel"),
        (json.dumps(seed_request(stage2={"kind": "max", "k": 8, "s": 1})), "impossible", "max pool"),
        (json.dumps({"type": "conv_asset", "name": "cifar"}), "bad_message", "name"),
    ],
)
def test_bad_requests_get_a_typed_error_and_the_connection_stays_usable(
    conv_client: TestClient, raw, code, words
) -> None:
    with conv_client.websocket_connect("/ws/conv") as ws:
        greeted(ws)
        ws.send_text(raw)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == code, error
        assert words in error["message"]
        ws.send_json(seed_request(stride=2))
        header, _, _ = receive_plan(ws)
        assert header["conv"]["out"] == [3, 3]


def test_a_walkthrough_over_the_product_limit_is_refused_with_the_count() -> None:
    with TestClient(create_app(Settings(conv_max_terms=100))) as client, client.websocket_connect("/ws/conv") as ws:
        greeted(ws)
        ws.send_json(seed_request())
        error = ws.receive_json()
    assert error["code"] == "bad_value" and "225 products" in error["message"]


def test_assets_give_a_shipped_mnist_digit_and_lenets_conv1_kernels(conv_client: TestClient) -> None:
    with conv_client.websocket_connect("/ws/conv") as ws:
        greeted(ws)
        ws.send_json({"type": "conv_asset", "name": "mnist_digit", "index": 7})
        digit = ws.receive_json()
        ws.send_json({"type": "conv_asset", "name": "lenet_conv1"})
        kernels = ws.receive_json()
    assert np.array(digit["values"]).shape == (1, 28, 28) and "MNIST test image 0" in digit["source"]
    assert np.array(kernels["values"]).shape == (6, 1, 5, 5) and len(kernels["bias"]) == 6


def test_lenet_kernels_are_unavailable_without_weights_and_the_digit_still_works(tmp_path: Path) -> None:
    app = create_app(Settings(weights=tmp_path / "missing.npz"))
    with TestClient(app) as client, client.websocket_connect("/ws/conv") as ws:
        greeted(ws)
        ws.send_json({"type": "conv_asset", "name": "lenet_conv1"})
        error = ws.receive_json()
        assert error["code"] == "unavailable" and "backprop-lab train" in error["message"]
        ws.send_json({"type": "conv_asset", "name": "mnist_digit", "index": 3})
        assert ws.receive_json()["index"] == 3
