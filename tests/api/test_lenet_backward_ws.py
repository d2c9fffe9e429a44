"""/ws/lenet's Backward mode with the TestClient: a `backward` frame per step with δ for every stage reached, the
mask and routing of the stage just reached, a drill-down whose three numbers agree, `take_step` on the private
copy, and typed errors."""

from __future__ import annotations

import numpy as np
import pytest

from app.models.lenet import load_lenet5
from app.services.lenet import prepare
from app.services.lenet_backward import BACKWARD_STAGES, backward
from app.wire.frames import pack_frame
from tests.api.test_lenet_ws import bar, frame, ws  # noqa: F401  (ws is a fixture)


def message(kind: str, canvas: np.ndarray, **fields) -> bytes:
    """A binary message with a drawing, as the page's encodeFrame sends it."""
    return pack_frame({"type": kind, **fields}, {"canvas": canvas.astype(np.float32)}, u8=frozenset({"canvas"}))


def backward_frame(canvas: np.ndarray, **fields) -> bytes:
    """A binary backward message."""
    return message("backward", canvas, **fields)


def test_each_step_brings_delta_for_every_stage_reached(ws) -> None:  # noqa: F811
    expected = backward(load_lenet5()[0], prepare(bar()).image, None)
    for number, stage in enumerate(BACKWARD_STAGES):
        ws.send_bytes(backward_frame(bar(), stage=stage, seq=number))
        header, arrays = frame(ws)
        assert header["type"] == "backward" and header["seq"] == number and header["stage"] == stage
        assert header["label"] == header["prediction"] == 1  # the predicted digit by default
        assert header["reached"] == list(BACKWARD_STAGES[: number + 1])
        assert header["loss"] == pytest.approx(expected.loss, rel=1e-12)
        np.testing.assert_allclose(header["grad_scores"], expected.grad_scores, rtol=1e-12, atol=1e-18)
        deltas = [name for name in arrays if name.startswith("delta.")]
        assert deltas == [f"delta.{name}" for name in header["reached"]]
        for name in header["reached"]:
            values, exact = arrays[f"delta.{name}"], expected.deltas[name]
            step = np.ptp(exact.reshape(exact.shape[0], -1) if exact.ndim > 1 else exact) / 255
            np.testing.assert_allclose(values, exact, atol=float(step) * 0.51 + 1e-7)
        details = header["step"]
        assert details["stage"] == stage and details["nonzero"] > 0
        if stage in ("conv1", "conv2", "fc1", "fc2"):
            assert {f"mask.{stage}", f"zdelta.{stage}"} <= set(arrays)
            assert details["relu"]["active"] == int(expected.masks[stage].sum())
        if stage in ("conv1", "conv2"):
            assert details["routing"]["windows"] * 4 == details["routing"]["cells"] == arrays[f"routed.{stage}"].size
            assert (arrays[f"routed.{stage}"].astype(bool) == expected.routed[stage]).all()
        through = {"fc2": "fc3", "fc1": "fc2", "pool2": "fc1", "pool1": "conv2", "input": "conv1"}.get(stage)
        if through:
            assert [g["parameter"] for g in details["gradients"]] == [f"{through}.w", f"{through}.b"]
        if through in ("conv1", "conv2"):  # one kernel stamped back: the flipped kernel of the liveliest maps
            f, c = details["stamp"]["map"], details["stamp"]["channel"]
            kernel = load_lenet5()[0].params()[f"{through}.w"][f, c]
            np.testing.assert_array_equal(arrays["stamp.kernel"], kernel[::-1, ::-1])
            np.testing.assert_allclose(arrays["stamp.zdelta"], expected.z_deltas[through][f], rtol=1e-6, atol=1e-30)
        else:
            assert "stamp" not in details and "stamp.kernel" not in arrays
    assert [w["layer"] for w in header["work"]] == ["conv1", "conv2", "fc1", "fc2", "fc3"]


def test_a_drilled_conv1_weight_agrees_three_ways(ws) -> None:  # noqa: F811
    weight = {"parameter": "conv1.w", "index": [0, 0, 2, 2]}
    ws.send_bytes(backward_frame(bar(), stage="input", label=7, weight=weight))
    header, arrays = frame(ws)
    drill = header["drill"]
    assert drill["agree"] and drill["note"] is None and drill["kind"] == "conv" and drill["reads"] == "input"
    assert drill["sum"] == pytest.approx(drill["engine"], rel=1e-10)
    assert drill["finite_difference"] == pytest.approx(drill["engine"], rel=1e-3)
    assert drill["layout"] == {
        "map": 0,
        "channel": 0,
        "tap": [2, 2],
        "stride": 1,
        "padding": 2,
        "kernel": 5,
        "out": [28, 28],
    }
    assert arrays["drill.running"].shape == (784,) and arrays["drill.map"].shape == (28, 28)
    assert arrays["drill.running"][-1] == pytest.approx(drill["sum"], rel=1e-5)


def test_take_step_moves_the_private_copy_and_names_the_kernels(ws) -> None:  # noqa: F811
    ws.send_bytes(message("take_step", bar(), lr=0.01, label=7))
    stepped = ws.receive_json()
    assert stepped["type"] == "stepped" and stepped["taught_steps"] == 1 and stepped["label"] == 7
    assert stepped["loss_after"] < stepped["loss_before"]
    assert len(stepped["kernels"]) == 22 and stepped["kernels"][0]["change"] >= stepped["kernels"][-1]["change"]
    header, _ = frame(ws)
    assert header["type"] == "model" and header["model"] == "taught"
    ws.send_bytes(backward_frame(bar(), label=7))
    header, _ = frame(ws)
    assert header["model"] == "taught" and header["loss"] == pytest.approx(stepped["loss_after"], rel=1e-12)


@pytest.mark.parametrize(
    "fields, code, words",
    [
        ({"stage": "conv3"}, "bad_message", "stage"),
        ({"weight": {"parameter": "conv1.w", "index": [6, 0, 0, 0]}}, "bad_value", "6×1×5×5"),
        ({"weight": {"parameter": "conv9.w", "index": [0]}}, "bad_message", "parameter"),
        ({"label": 12}, "bad_message", "label"),
    ],
    ids=["stage", "index", "parameter", "label"],
)
def test_bad_backward_requests_get_typed_errors(ws, fields, code, words) -> None:  # noqa: F811
    ws.send_bytes(backward_frame(bar(), **fields))
    error = ws.receive_json()
    assert error["type"] == "error" and error["code"] == code and words in error["message"]
    ws.send_bytes(backward_frame(bar()))
    assert frame(ws)[0]["type"] == "backward"


def test_a_step_with_too_large_a_rate_or_an_empty_pad_is_refused(ws) -> None:  # noqa: F811
    ws.send_bytes(message("take_step", bar(), lr=5.0, label=1))
    assert ws.receive_json()["code"] == "bad_value"
    empty = np.zeros((140, 140), np.uint8)
    ws.send_bytes(message("take_step", empty, lr=0.01, label=1))
    assert ws.receive_json()["code"] == "impossible"
    ws.send_bytes(backward_frame(empty, stage="pool2"))
    header, arrays = frame(ws)
    assert header["empty"] and header["loss"] is None and arrays == {}
