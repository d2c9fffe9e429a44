"""The backward pass on /lenet, the service: every stage's δ and every parameter gradient against PyTorch on the
shipped weights, a sample of weights against float64 finite differences, the drill-down's running sum against
the engine's gradient, max pooling sending δ only to winners, ReLU masks, the SGD step's kernel moves and the
multiply-add counts."""

from __future__ import annotations

import numpy as np
import pytest

from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.nn import Sequential
from app.services.lenet import STAGES, teach, weight_sharing_copy
from app.services.lenet_backward import (
    BACKWARD_STAGES,
    PARAMETERS,
    NoSuchWeight,
    backward,
    drill,
    kernel_moves,
    multiply_adds,
)

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")
F = torch.nn.functional

RTOL, ATOL = 1e-5, 1e-12


@pytest.fixture(scope="module")
def shipped() -> Sequential:
    """LeNet-5 with the shipped weights."""
    return load_lenet5()[0]


@pytest.fixture(scope="module")
def digits(mnist: Mnist) -> tuple[np.ndarray, np.ndarray]:
    """Six official test digits as LeNet inputs in [0, 1], and their labels."""
    return mnist.test_images[:6].astype(np.float32) / 255, mnist.test_labels[:6]


def torch_backward(model: Sequential, image: np.ndarray, label: int) -> tuple[float, dict, dict]:
    """PyTorch's loss, ∂l/∂(each stage's values) and ∂l/∂(each parameter), float64, for the same weights."""
    w = {name: torch.tensor(value.astype(np.float64), requires_grad=True) for name, value in model.params().items()}
    x = torch.tensor(image.astype(np.float64)).reshape(1, 1, 28, 28).requires_grad_()
    conv1 = F.relu(F.conv2d(x, w["conv1.w"], w["conv1.b"], padding=2))
    pool1 = F.max_pool2d(conv1, 2)
    conv2 = F.relu(F.conv2d(pool1, w["conv2.w"], w["conv2.b"]))
    pool2 = F.max_pool2d(conv2, 2)
    fc1 = F.relu(pool2.reshape(1, -1) @ w["fc1.w"] + w["fc1.b"])
    fc2 = F.relu(fc1 @ w["fc2.w"] + w["fc2.b"])
    fc3 = fc2 @ w["fc3.w"] + w["fc3.b"]
    stages = {"input": x, "conv1": conv1, "pool1": pool1, "conv2": conv2, "pool2": pool2, "fc1": fc1, "fc2": fc2}
    stages["fc3"] = fc3
    for value in stages.values():
        value.retain_grad()
    loss = F.cross_entropy(fc3, torch.tensor([label]))
    loss.backward()
    deltas = {name: value.grad[0].numpy() for name, value in stages.items()}
    return float(loss.detach()), deltas, {name: value.grad.numpy() for name, value in w.items()}


def test_every_stage_and_every_parameter_gradient_matches_pytorch(shipped: Sequential, digits) -> None:
    images, labels = digits
    for image, label in zip(images, labels, strict=True):
        for target in (int(label), (int(label) + 3) % 10):  # the right digit (l ≈ 0) and a wrong one
            result = backward(shipped, image, target)
            loss, deltas, gradients = torch_backward(shipped, image, target)
            assert result.loss == pytest.approx(loss, rel=RTOL, abs=ATOL)
            assert list(result.deltas) == [stage.name for stage in STAGES]
            for name in BACKWARD_STAGES:
                np.testing.assert_allclose(result.deltas[name], deltas[name], RTOL, ATOL, err_msg=name)
            assert set(result.gradients) == set(PARAMETERS) == set(gradients)
            for name, grad in gradients.items():
                assert result.gradients[name].shape == shipped.params()[name].shape
                np.testing.assert_allclose(result.gradients[name], grad, RTOL, ATOL, err_msg=name)


def test_the_loss_and_the_gradient_at_the_scores(shipped: Sequential, digits) -> None:
    image, label = digits[0][0], int(digits[1][0])
    result = backward(shipped, image, label)
    onehot = np.eye(10)[label]
    np.testing.assert_allclose(result.grad_scores, result.probabilities - onehot, atol=1e-15)
    assert result.loss == pytest.approx(-np.log(result.probabilities[label]), rel=1e-9)
    assert result.prediction == label and result.grad_scores[label] < 0
    # the shared weights are read, never written or widened
    assert all(value.dtype == np.float32 for value in shipped.params().values())


def test_max_pooling_sends_delta_only_to_each_windows_winner(shipped: Sequential, digits) -> None:
    result = backward(shipped, digits[0][1], 4)
    for pool, before in (("pool1", "conv1"), ("pool2", "conv2")):
        won, routed = result.winners[pool], result.routed[before]
        channels = np.arange(won.shape[0])[:, None, None]
        assert routed.sum() == won.shape[0] * won.shape[1] * won.shape[2]  # one winner per window
        assert (result.deltas[before][~routed] == 0).all()
        np.testing.assert_array_equal(result.deltas[before][channels, won[..., 0], won[..., 1]], result.deltas[pool])
        np.testing.assert_array_equal(
            result.activations[before][channels, won[..., 0], won[..., 1]], result.activations[pool]
        )


def test_relu_passes_delta_only_where_the_unit_was_active(shipped: Sequential, digits) -> None:
    result = backward(shipped, digits[0][2], 7)
    assert set(result.masks) == set(result.z_deltas) == {"conv1", "conv2", "fc1", "fc2"}
    for name, mask in result.masks.items():
        np.testing.assert_array_equal(result.z_deltas[name], np.where(mask, result.deltas[name], 0.0))
        np.testing.assert_array_equal(mask, result.activations[name] > 0)


def sample_of_weights(model: Sequential, per_parameter: int, seed: int = 3) -> list[tuple[str, tuple[int, ...]]]:
    """A few indices of every parameter, drawn at random."""
    rng = np.random.default_rng(seed)
    return [
        (name, tuple(int(rng.integers(n)) for n in model.params()[name].shape))
        for name in PARAMETERS
        for _ in range(per_parameter)
    ]


def test_a_sample_of_weights_against_float64_finite_differences(shipped: Sequential, digits) -> None:
    image, label = digits[0][3], (int(digits[1][3]) + 1) % 10
    result = backward(shipped, image, label)
    sample = sample_of_weights(shipped, 4)
    # and weights that certainly matter: the centre taps of every conv1 kernel and the label's fc3 weights
    sample += [("conv1.w", (f, 0, 2, 2)) for f in range(6)] + [("fc3.w", (d, label)) for d in range(0, 84, 12)]
    nonzero = 0
    for name, index in sample:
        d = drill(result, name, index)
        assert d.agree, (name, index, d.engine, d.finite_difference, d.note)
        assert d.finite_difference == pytest.approx(d.engine, rel=1e-4, abs=1e-9), (name, index)
        nonzero += abs(d.engine) > 1e-6
    assert nonzero >= len(sample) // 3  # the check is not one of zeros only


def test_a_sure_network_still_gets_finite_differences_that_agree(shipped: Sequential, digits) -> None:
    sure = weight_sharing_copy(shipped, private=True)
    for key in ("fc3.w", "fc3.b"):
        sure.params()[key] *= 4  # scores 4× as far apart: p(label) = 1 − 1e-15 or so
    image, label = digits[0][0], int(digits[1][0])
    result = backward(sure, image, label)
    assert 0 < result.loss < 1e-9
    assert result.loss == pytest.approx(-np.log1p(-(1 - result.probabilities[label])), rel=1e-3)
    for name, index in [("conv1.w", (f, 0, 2, 2)) for f in range(6)] + [("fc3.b", (label,)), ("fc2.w", (3, 7))]:
        d = drill(result, name, index)
        assert d.agree, (name, index, d.engine, d.finite_difference, d.note)


def test_the_running_sum_ends_at_the_engines_gradient(shipped: Sequential, digits) -> None:
    result = backward(shipped, digits[0][4], 2)
    for name, index in [
        ("conv1.w", (0, 0, 2, 2)),
        ("conv1.w", (5, 0, 0, 4)),
        ("conv1.b", (3,)),
        ("conv2.w", (7, 4, 1, 3)),
        ("conv2.b", (11,)),
        ("fc1.w", (123, 45)),
        ("fc2.b", (17,)),
        ("fc3.w", (40, 2)),
    ]:
        d = drill(result, name, index)
        np.testing.assert_allclose(d.sum, result.gradients[name][index], rtol=1e-10, atol=1e-15)
        assert d.engine == result.gradients[name][index]
        np.testing.assert_allclose(np.diff(d.running, prepend=0.0), d.terms.ravel(), atol=1e-15)
        np.testing.assert_array_equal(d.terms, d.inputs * d.deltas)
        assert d.weight == shipped.params()[name][index]


def test_a_conv_weights_terms_read_the_windows_it_covers(shipped: Sequential, digits) -> None:
    image = digits[0][5]
    result = backward(shipped, image, 1)
    d = drill(result, "conv1.w", (2, 0, 1, 3))
    assert d.inputs.shape == d.deltas.shape == (28, 28) and d.running.shape == (784,)
    padded = np.pad(image.astype(np.float64), 2)
    np.testing.assert_array_equal(d.inputs, padded[1 : 1 + 28, 3 : 3 + 28])  # tap (1, 3) of every window
    np.testing.assert_array_equal(d.deltas, result.z_deltas["conv1"][2])
    d2 = drill(result, "conv2.w", (9, 4, 0, 0))
    np.testing.assert_array_equal(d2.inputs, result.activations["pool1"][4, :10, :10])
    dense = drill(result, "fc2.w", (30, 50))
    assert dense.terms.shape == (1,) and dense.inputs[0] == result.activations["fc1"][30]
    assert dense.deltas[0] == result.z_deltas["fc2"][50]


def test_a_kink_within_epsilon_is_named(shipped: Sequential, digits) -> None:
    result = backward(shipped, digits[0][0], 3)
    d = drill(result, "conv1.w", (0, 0, 2, 2), eps=0.5)  # a nudge of 0.5 switches units on and off
    assert not d.agree and d.note is not None and "kink" in d.note and "switch on or off" in d.note


def test_a_weight_outside_the_network_is_refused(shipped: Sequential, digits) -> None:
    result = backward(shipped, digits[0][0], 3)
    with pytest.raises(NoSuchWeight, match="must be one of"):
        drill(result, "conv3.w", (0,))
    with pytest.raises(NoSuchWeight, match="inside its 6×1×5×5 shape"):
        drill(result, "conv1.w", (6, 0, 0, 0))
    with pytest.raises(NoSuchWeight, match="2 numbers"):
        drill(result, "fc1.w", (1,))


def test_one_sgd_step_moves_each_kernel_by_lr_times_its_gradient(shipped: Sequential, digits) -> None:
    image, label, lr = digits[0][1], 5, 0.01
    gradients = backward(shipped, image, label).gradients
    private = weight_sharing_copy(shipped, private=True)
    start = {name: value.copy() for name, value in private.params().items()}
    lesson = teach(private, image, label, 1, lr)
    moves = kernel_moves(start, private.params())
    assert lesson.loss_after < lesson.loss_before
    assert len(moves) == 6 + 16 and moves == sorted(moves, key=lambda m: m.change, reverse=True)
    for move in moves:
        w, b = gradients[f"{move.layer}.w"][move.kernel], gradients[f"{move.layer}.b"][move.kernel]
        expected = lr * np.sqrt((w**2).sum() + b**2)
        assert move.change == pytest.approx(expected, rel=1e-3, abs=1e-9), move
    assert all(value.dtype == np.float32 for value in shipped.params().values())


def test_multiply_adds_per_layer(shipped: Sequential, digits) -> None:
    work = {w.layer: w for w in multiply_adds(backward(shipped, digits[0][0], 0).model)}
    assert work["conv1"].forward == 6 * 1 * 5 * 5 * 28 * 28
    assert work["conv2"].forward == 16 * 6 * 5 * 5 * 10 * 10
    assert work["fc1"].forward == 400 * 120 and work["fc3"].forward == 84 * 10
    for w in work.values():
        assert w.backward == 2 * w.forward == w.backward_weights + w.backward_input
