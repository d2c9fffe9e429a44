"""The kernels page's conversation (app.services.kernels): state frames, clicks, limits, and the network beside."""

from __future__ import annotations

import numpy as np
import pytest

from app.kernels.datasets import XOR_POINTS
from app.kernels.kernels import Kernel
from app.kernels.svm import fit
from app.services.kernels import KernelsConversation, NetRun
from app.settings import Settings
from app.wire.frames import unpack_frame
from app.wire.kernels import KERNELS_REQUESTS
from app.wire.protocol import Problem, Reply

SETTINGS = Settings(kernels_net_steps=300, kernels_grid=21)


def ask(conversation: KernelsConversation, **message: object) -> list[tuple[dict, dict[str, np.ndarray]]]:
    """Every frame conversation answers message with, unpacked (header, arrays), the whole stream included."""
    replies: list[Reply] = list(conversation.handle(KERNELS_REQUESTS.validate_python(message)))
    assert all(isinstance(reply, bytes) for reply in replies)
    return [unpack_frame(reply) for reply in replies if isinstance(reply, bytes)]


def states(frames: list[tuple[dict, dict[str, np.ndarray]]], kind: str) -> list[tuple[dict, dict[str, np.ndarray]]]:
    return [(header, arrays) for header, arrays in frames if header["type"] == kind]


SVM = {"type": "kernels_svm", "kernel": "poly", "C": 10.0, "gamma": 1.0, "degree": 2, "coef0": 1.0}


def test_xor_by_default_the_product_lift_separates_it_and_the_state_holds_every_part() -> None:
    conversation = KernelsConversation(SETTINGS)
    first = ask(conversation, **SVM)
    assert states(first, "kernels_net")[-1][0]["step"] == 300  # a new page's first answer trains the network
    frames = ask(conversation, **SVM)
    (header, arrays), *_ = states(frames, "kernels_state")
    assert header["dataset"] == "xor" and header["count"] == 4 and header["classes"] == [2, 2]
    np.testing.assert_array_equal(arrays["points"], XOR_POINTS)
    assert header["feature"]["feature"] == "product" and header["feature"]["errors"] == 0
    assert header["feature"]["names"] == ["x₁", "x₂", "x₁x₂"]
    assert arrays["lifted"].shape == (4, 3) and len(arrays["plane"]) >= 3
    assert arrays["feature_surface"].shape == arrays["svm_surface"].shape == (21, 21)
    assert arrays["gram"].shape == (1, 4, 4) and arrays["alpha"].shape == (4,)
    assert header["svm"]["errors"] == 0 and sorted(header["svm"]["support"]) == [0, 1, 2, 3]
    for name in ("feature_boundary", "svm_boundary", "svm_margin_plus", "svm_margin_minus"):
        assert arrays[name].ndim == 3 and arrays[name].shape[1:] == (2, 2) and len(arrays[name]) > 0
    assert not states(frames, "kernels_net")  # the points did not change: the trained network stays


def test_the_state_is_the_engines_svm_and_its_kernel_matrix() -> None:
    conversation = KernelsConversation(SETTINGS)
    ask(conversation, type="kernels_dataset", name="moons", size=30, noise=0.1, seed=4)
    rbf = {**SVM, "kernel": "rbf", "gamma": 2.0, "C": 3.0}
    (header, arrays), *_ = states(ask(conversation, **rbf), "kernels_state")
    points, labels = conversation.points, conversation.labels
    svm = fit(points, labels, Kernel("rbf", gamma=2.0), 3.0, max_iter=SETTINGS.kernels_max_iterations)
    np.testing.assert_allclose(arrays["alpha"], svm.alpha, rtol=1e-5, atol=1e-6)  # f32 on the wire
    np.testing.assert_allclose(arrays["decision"], svm.decision(points), rtol=1e-5, atol=1e-5)
    assert header["svm"]["support"] == svm.support.tolist()
    gram = Kernel("rbf", gamma=2.0)(points, points)
    lo, hi = header["gram_range"]
    np.testing.assert_allclose(arrays["gram"][0], gram, atol=(hi - lo) / 255)


def test_a_larger_c_or_a_narrower_rbf_changes_the_support_vectors() -> None:
    conversation = KernelsConversation(SETTINGS)
    ask(conversation, type="kernels_dataset", name="moons", size=60, noise=0.2, seed=0)
    counts = {}
    for C, gamma in ((0.1, 1.0), (100.0, 1.0), (100.0, 30.0)):
        (header, _), *_ = states(ask(conversation, **{**SVM, "kernel": "rbf", "C": C, "gamma": gamma}), "kernels_state")
        counts[C, gamma] = len(header["svm"]["support"])
    assert counts[0.1, 1.0] > counts[100.0, 1.0]  # a soft margin takes more points as support
    assert counts[100.0, 30.0] > counts[100.0, 1.0]  # a narrow rbf needs many points to say anything


def test_clicks_add_and_remove_points_and_restart_the_network_which_streams_its_training() -> None:
    conversation = KernelsConversation(SETTINGS)
    frames = ask(conversation, type="kernels_add", x1=0.5, x2=0.5, label=1)
    (header, arrays), *_ = states(frames, "kernels_state")
    assert header["count"] == 5 and arrays["points"][-1].tolist() == [0.5, 0.5] and arrays["labels"][-1] == 1
    nets = states(frames, "kernels_net")
    assert [h["step"] for h, _ in nets] == [0, 100, 200, 300] and not nets[-1][0]["running"]
    assert nets[-1][1]["hidden"].shape == (5, 2) and nets[-1][1]["surface"].shape == (21, 21)
    frames = ask(conversation, type="kernels_remove", index=0)
    assert states(frames, "kernels_state")[0][0]["count"] == 4
    assert states(frames, "kernels_net")[0][0]["step"] == 0


def test_the_network_learns_xor_on_the_page_as_on_the_xor_page() -> None:
    run = NetRun(steps=4000)
    labels = np.array([0, 1, 1, 0])
    run.train(XOR_POINTS, labels, 4000)
    yhat = run.net.model.forward(XOR_POINTS)[:, 0]
    assert np.all((yhat > 0.5) == (labels == 1))


@pytest.mark.parametrize(
    ("message", "code", "words"),
    [
        (
            {"type": "kernels_dataset", "name": "moons", "size": 201, "noise": 0.1, "seed": 0},
            "bad_value",
            "size must be at most 200",
        ),
        ({**SVM, "C": 1001.0}, "bad_value", "C must be at most 1000"),
        ({**SVM, "gamma": 101.0}, "bad_value", "gamma must be at most 100"),
        ({**SVM, "degree": 7}, "bad_value", "degree must be at most 6"),
        ({**SVM, "coef0": -11.0}, "bad_value", "coef0 must be between"),
        ({"type": "kernels_feature", "feature": "poly", "degree": 9}, "bad_value", "degree must be at most 6"),
        ({"type": "kernels_add", "x1": 7.0, "x2": 0.0, "label": 0}, "bad_value", "x1 = 7 is outside the plane"),
        ({"type": "kernels_remove", "index": 4}, "bad_value", "index 4 is not a point"),
    ],
)
def test_requests_over_the_limits_are_refused_naming_the_value(message: dict, code: str, words: str) -> None:
    conversation = KernelsConversation(SETTINGS)
    with pytest.raises(Problem, match=words) as caught:
        ask(conversation, **message)
    assert caught.value.code == code
    assert len(states(ask(conversation, **SVM), "kernels_state")) == 1  # the conversation goes on


def test_the_last_point_of_a_class_stays() -> None:
    conversation = KernelsConversation(SETTINGS)
    ask(conversation, type="kernels_remove", index=0)
    with pytest.raises(Problem, match="point 2 is the last of class 0") as caught:
        ask(conversation, type="kernels_remove", index=2)
    assert caught.value.code == "impossible" and len(conversation.points) == 3


def test_the_point_limit_holds_for_clicks() -> None:
    conversation = KernelsConversation(Settings(kernels_max_points=5, kernels_net_steps=1, kernels_grid=11))
    ask(conversation, type="kernels_add", x1=0.0, x2=0.5, label=0)
    with pytest.raises(Problem, match="points must be at most 5"):
        ask(conversation, type="kernels_add", x1=0.0, x2=0.6, label=0)
