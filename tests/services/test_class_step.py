"""The class step, the service: per-drawing losses, gradient norms, shares and the updated weights against PyTorch
on the same drawings and weights (float64, 1e-5), both modes; a drawn 8 tagged 3 is the largest contribution."""

from __future__ import annotations

import numpy as np
import pytest

from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.services.class_step import Params, class_step, pack, unpack, weights_of
from app.services.lenet import PARAMETER_LAYERS

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")
F = torch.nn.functional
RTOL, ATOL = 1e-5, 1e-10
LR = 0.05
Batch = tuple[np.ndarray, np.ndarray, int]


@pytest.fixture(scope="module")
def shipped() -> Params:
    """The shipped LeNet-5 weights, as float64."""
    return weights_of(load_lenet5()[0])


@pytest.fixture(scope="module")
def batch(mnist: Mnist) -> Batch:
    """Twelve official test digits in [0, 1] with their labels, one of them an 8 tagged 3; and that one's index."""
    images = mnist.test_images[:12].astype(np.float64) / 255
    labels = mnist.test_labels[:12].astype(np.int64).copy()
    eight = int(np.flatnonzero(mnist.test_labels == 8)[0])
    images = np.concatenate([images, mnist.test_images[eight : eight + 1].astype(np.float64) / 255])
    labels = np.append(labels, 3)
    return images, labels, len(labels) - 1


def torch_scores(w: dict, images: np.ndarray) -> object:
    """LeNet-5's class scores in PyTorch for weights w (torch tensors named as the engine's)."""
    x = torch.tensor(images).reshape(-1, 1, 28, 28)
    h = F.max_pool2d(F.relu(F.conv2d(x, w["conv1.w"], w["conv1.b"], padding=2)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w["conv2.w"], w["conv2.b"])), 2)
    h = F.relu(h.reshape(len(images), -1) @ w["fc1.w"] + w["fc1.b"])
    h = F.relu(h @ w["fc2.w"] + w["fc2.b"])
    return h @ w["fc3.w"] + w["fc3.b"]


def tensors(params: Params) -> dict:
    return {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}


def torch_per_drawing(params: Params, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each drawing's loss and ‖∂lᵢ/∂w‖ per layer, (N,) and (N, layers), one autograd pass per drawing."""
    losses, norms = [], []
    for image, label in zip(images, labels, strict=True):
        w = tensors(params)
        loss = F.cross_entropy(torch_scores(w, image[None]), torch.tensor([int(label)]))
        loss.backward()
        losses.append(loss.item())
        norms.append(
            [float(torch.sqrt(w[f"{n}.w"].grad.pow(2).sum() + w[f"{n}.b"].grad.pow(2).sum())) for n in PARAMETER_LAYERS]
        )
    return np.array(losses), np.array(norms)


def torch_batch_step(params: Params, images: np.ndarray, labels: np.ndarray) -> Params:
    """One torch.optim.SGD step on the mean cross-entropy of the batch."""
    w = tensors(params)
    optimizer = torch.optim.SGD(list(w.values()), lr=LR)
    F.cross_entropy(torch_scores(w, images), torch.tensor(labels)).backward()
    optimizer.step()
    return {name: value.detach().numpy() for name, value in w.items()}


def torch_each_step(params: Params, images: np.ndarray, labels: np.ndarray) -> Params:
    """Plain SGD in PyTorch: one step per drawing, in order."""
    w = tensors(params)
    optimizer = torch.optim.SGD(list(w.values()), lr=LR)
    for image, label in zip(images, labels, strict=True):
        optimizer.zero_grad()
        F.cross_entropy(torch_scores(w, image[None]), torch.tensor([int(label)])).backward()
        optimizer.step()
    return {name: value.detach().numpy() for name, value in w.items()}


def torch_losses(params: Params, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        w = {name: torch.tensor(value) for name, value in params.items()}
        return F.cross_entropy(torch_scores(w, images), torch.tensor(labels), reduction="none").numpy()


def test_losses_gradient_norms_and_batch_step_match_pytorch(shipped: Params, batch: Batch) -> None:
    images, labels, _ = batch
    step = class_step(shipped, images, labels, LR, "batch")
    losses, norms = torch_per_drawing(shipped, images, labels)
    np.testing.assert_allclose(step.before.losses, losses, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(step.grads.norms, norms, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(step.grads.total_norms, np.sqrt((norms**2).sum(axis=1)), rtol=RTOL, atol=ATOL)
    expected = torch_batch_step(shipped, images, labels)
    for name, value in expected.items():
        np.testing.assert_allclose(step.params_after[name], value, rtol=RTOL, atol=ATOL, err_msg=name)
    np.testing.assert_allclose(step.after.losses, torch_losses(expected, images, labels), rtol=RTOL, atol=ATOL)


def test_a_step_per_drawing_matches_plain_sgd_in_pytorch(shipped: Params, batch: Batch) -> None:
    images, labels, _ = batch
    step = class_step(shipped, images, labels, LR, "each")
    expected = torch_each_step(shipped, images, labels)
    for name, value in expected.items():
        np.testing.assert_allclose(step.params_after[name], value, rtol=RTOL, atol=ATOL, err_msg=name)
    np.testing.assert_allclose(step.after.losses, torch_losses(expected, images, labels), rtol=RTOL, atol=ATOL)


def test_shares_are_each_drawings_projection_on_the_mean_and_sum_to_one(shipped: Params, batch: Batch) -> None:
    images, labels, _ = batch
    step = class_step(shipped, images, labels, LR)
    mean = np.concatenate([value.ravel() for value in step.grads.mean.values()])
    own = []
    for image, label in zip(images, labels, strict=True):
        w = tensors(shipped)
        F.cross_entropy(torch_scores(w, image[None]), torch.tensor([int(label)])).backward()
        own.append(np.concatenate([w[name].grad.numpy().ravel() for name in step.grads.mean]))
    expected = np.array(own) @ mean / (len(labels) * mean @ mean)
    np.testing.assert_allclose(step.grads.shares, expected, rtol=RTOL, atol=ATOL)
    assert step.grads.shares.sum() == pytest.approx(1.0)


def test_a_drawn_8_tagged_3_is_the_largest_contribution(shipped: Params, batch: Batch) -> None:
    images, labels, wrong = batch
    step = class_step(shipped, images, labels, LR)
    assert int(np.argmax(step.grads.total_norms)) == wrong
    assert int(np.argmax(step.grads.shares)) == wrong
    assert step.before.predictions[wrong] == 8
    assert step.after.losses[wrong] < step.before.losses[wrong]


def test_the_weights_passed_in_are_not_written_and_pack_round_trips(shipped: Params, batch: Batch) -> None:
    images, labels, _ = batch
    copy = {name: value.copy() for name, value in shipped.items()}
    step = class_step(shipped, images, labels, LR)
    for name, value in copy.items():
        np.testing.assert_array_equal(shipped[name], value)
    unpacked = unpack(pack(step.params_after))
    assert list(unpacked) == list(step.params_after)
    for name, value in step.params_after.items():
        np.testing.assert_array_equal(unpacked[name], value)
    assert step.moved()["conv1"]["norm"] > 0
