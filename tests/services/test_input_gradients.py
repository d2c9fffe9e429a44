"""The three uses of the input gradient on /lenet, the service: saliency and the loss's input gradient against
PyTorch on the shipped weights and against float64 finite differences, FGSM flipping real MNIST test digits at
ε ≤ 0.3, the iterated attack, and dreaming raising its objective while staying a picture in [0, 1]."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from app.data.mnist import Mnist
from app.models.lenet import load_lenet5
from app.nn import Sequential, numerical_gradient
from app.services.input_gradients import (
    EPSILON_GRID,
    ITERATED_MAX_STEPS,
    ITERATED_STEP,
    NoSuchMap,
    Objective,
    dream,
    fgsm,
    iterated_fgsm,
    loss_gradient,
    normalised,
    objective_gradient,
    saliency,
    smallest_flip,
)
from app.services.lenet_backward import widened

torch = pytest.importorskip("torch", reason="PyTorch not installed: pip install torch==2.13.0")
F = torch.nn.functional

RTOL = 1e-5


@pytest.fixture(scope="module")
def shipped() -> Sequential:
    """LeNet-5 with the shipped weights."""
    return load_lenet5()[0]


@pytest.fixture(scope="module")
def digits(mnist: Mnist) -> tuple[np.ndarray, np.ndarray]:
    """The first 20 official test digits as LeNet inputs in [0, 1], and their labels."""
    return mnist.test_images[:20].astype(np.float32) / 255, mnist.test_labels[:20]


def torch_scores(model: Sequential, image: np.ndarray) -> tuple[Any, Any]:
    """PyTorch's input leaf (1, 1, 28, 28) and fc3's scores (1, 10), float64, for the same weights."""
    w = {name: torch.tensor(value.astype(np.float64)) for name, value in model.params().items()}
    x = torch.tensor(image.astype(np.float64)).reshape(1, 1, 28, 28).requires_grad_()
    h = F.max_pool2d(F.relu(F.conv2d(x, w["conv1.w"], w["conv1.b"], padding=2)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, w["conv2.w"], w["conv2.b"])), 2)
    h = F.relu(h.reshape(1, -1) @ w["fc1.w"] + w["fc1.b"])
    h = F.relu(h @ w["fc2.w"] + w["fc2.b"])
    return x, h @ w["fc3.w"] + w["fc3.b"]


def without_ties(image: np.ndarray, seed: int = 5) -> np.ndarray:
    """image in float64 with a little noise, so no two pooled values tie (a kink finite differences straddle)."""
    return image.astype(np.float64) + np.random.default_rng(seed).uniform(0, 1e-3, image.shape)


def test_saliency_matches_pytorch(shipped: Sequential, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """∂ score / ∂ input, for the predicted class and for another, equals PyTorch's autograd to 1e-5."""
    images, _ = digits
    for image, target in ((images[0], None), (images[1], 5), (images[2], 0)):
        result = saliency(shipped, image, target)
        x, scores = torch_scores(shipped, image)
        expected_target = int(scores.argmax()) if target is None else target
        scores[0, expected_target].backward()
        expected = x.grad[0, 0].numpy()
        assert result.target == expected_target
        assert result.score == pytest.approx(float(scores.detach()[0, expected_target]), rel=RTOL)
        np.testing.assert_allclose(result.gradient, expected, rtol=RTOL, atol=RTOL * np.abs(expected).max())
        np.testing.assert_allclose(result.times_input, expected * image, rtol=RTOL, atol=RTOL * np.abs(expected).max())


def test_loss_gradient_matches_pytorch(shipped: Sequential, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """∂(−log p(label)) / ∂ input, which FGSM steps along, equals PyTorch's cross-entropy gradient to 1e-5."""
    images, labels = digits
    for image, label in ((images[3], int(labels[3])), (images[4], 7)):
        probabilities, gradient = loss_gradient(widened(shipped), image.astype(np.float64)[None], label)
        x, scores = torch_scores(shipped, image)
        F.cross_entropy(scores, torch.tensor([label])).backward()
        expected = x.grad[0, 0].numpy()
        np.testing.assert_allclose(probabilities[0], F.softmax(scores, 1)[0].detach().numpy(), rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(gradient[0], expected, rtol=RTOL, atol=RTOL * np.abs(expected).max())


def test_input_gradients_match_finite_differences(shipped: Sequential, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """At a few pixels (on the stroke, beside it, on paper) the score's, the loss's and a conv unit's input gradient
    equal float64 central differences of the engine's own forward pass."""
    image = without_ties(digits[0][0])
    model64 = widened(shipped)
    pixels = [(14, 14), (10, 16), (20, 12), (5, 5), (22, 18)]
    score = saliency(shipped, image, 3)
    _, loss = loss_gradient(model64, image[None], 7)
    conv = Objective(stage="conv2", channel=4)
    _, conv_gradient = objective_gradient(model64, conv, image)

    x = image.copy()  # the functions read x; numerical_gradient nudges one pixel of it at a time, in place

    def score_of() -> float:
        return float(model64.forward(x[None, None])[0, 3])

    def loss_of() -> float:
        scores = model64.forward(x[None, None])[0]
        return float(np.log(np.exp(scores - scores.max()).sum()) + scores.max() - scores[7])

    def conv_of() -> float:
        return objective_gradient(model64, conv, x)[0]

    for function, gradient in ((score_of, score.gradient), (loss_of, loss[0]), (conv_of, conv_gradient)):
        for row, col in pixels:
            estimate = numerical_gradient(function, x[row : row + 1, col : col + 1], eps=1e-5)[0, 0]
            assert gradient[row, col] == pytest.approx(estimate, rel=1e-6, abs=1e-9)


def test_normalised_is_signed_and_states_its_scale() -> None:
    """Values divided by their largest magnitude keep their signs; all zeros stay zeros with scale 0."""
    values, scale = normalised(np.array([[-4.0, 2.0], [0.0, 1.0]]))
    assert scale == 4.0
    np.testing.assert_array_equal(values, [[-1.0, 0.5], [0.0, 0.25]])
    zeros, nothing = normalised(np.zeros((2, 2)))
    assert nothing == 0.0 and not zeros.any()


def test_fgsm_flips_correctly_read_test_digits(shipped: Sequential, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """Every correctly read digit among the first 20 MNIST test digits is read as another digit after one FGSM
    step at some ε ≤ 0.3, and the one-shot step at that ε is what the attack reports."""
    images, labels = digits
    read_right = 0
    for image, label in zip(images, labels, strict=True):
        if fgsm(shipped, image, 0.0).prediction != label:
            continue
        read_right += 1
        smallest = smallest_flip(shipped, image)
        assert smallest is not None and smallest <= 0.3
        flipped = fgsm(shipped, image, smallest).one_shot
        assert flipped.prediction != label
        assert np.abs(flipped.perturbation).max() <= smallest + 1e-12
        assert flipped.image.min() >= 0 and flipped.image.max() <= 1
        np.testing.assert_allclose(flipped.image - image, flipped.perturbation)
        smaller = [e for e in EPSILON_GRID if e < smallest]
        for epsilon in smaller[-2:]:  # the grid's ε just below the smallest still reads the digit
            assert fgsm(shipped, image, float(epsilon)).one_shot.prediction == label
    assert read_right >= 18


def test_fgsm_at_zero_changes_nothing(shipped: Sequential, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """ε = 0 leaves the image and its probabilities as they were; the step raises the loss of the chosen label."""
    image = digits[0][0]
    attack = fgsm(shipped, image, 0.0, label=7)
    assert not attack.one_shot.perturbation.any()
    np.testing.assert_allclose(attack.one_shot.probabilities, attack.before)
    pushed = fgsm(shipped, image, 0.05, label=7)
    assert pushed.one_shot.probabilities[7] < attack.before[7]
    assert pushed.one_shot.label == 7


def test_iterated_fgsm_changes_the_reading(shipped: Sequential, digits: tuple[np.ndarray, np.ndarray]) -> None:
    """Small steps until LeNet reads another digit: the reading changes, ε is the largest pixel change, at most
    one step's worth per step, and the image stays in [0, 1]."""
    images, labels = digits
    for image, label in zip(images[:5], labels[:5], strict=True):
        iterated = iterated_fgsm(shipped, image)
        assert iterated.steps < ITERATED_MAX_STEPS
        assert iterated.prediction != label
        assert iterated.epsilon == pytest.approx(np.abs(iterated.perturbation).max())
        assert iterated.epsilon <= iterated.steps * ITERATED_STEP + 1e-9
        assert iterated.image.min() >= 0 and iterated.image.max() <= 1


@pytest.mark.parametrize("target", [0, 3, 8])
def test_dreaming_raises_the_class_score(shipped: Sequential, target: int) -> None:
    """From blank paper, the ascent raises the chosen score (last snapshot above the first, mostly rising on the
    way) and every snapshot is a picture in [0, 1]; LeNet reads the dream as the chosen digit."""
    result = dream(shipped, Objective(target=target))
    assert result.values[-1] > result.values[0] + 5
    assert sum(b > a for a, b in zip(result.values, result.values[1:], strict=False)) >= len(result.values) - 2
    assert result.frames.min() >= 0 and result.frames.max() <= 1
    assert result.steps[0] == 0 and len(result.frames) == len(result.values) == len(result.steps)
    assert result.prediction == target


def test_dreaming_from_the_drawing_and_for_a_conv_map(
    shipped: Sequential, digits: tuple[np.ndarray, np.ndarray]
) -> None:
    """Starting from a drawing keeps it as the first snapshot; a conv unit's value rises too."""
    image = digits[0][0]
    result = dream(shipped, Objective(target=3), start=image)
    np.testing.assert_allclose(result.frames[0], image)
    assert result.values[-1] > result.values[0]
    assert result.frames.min() >= 0 and result.frames.max() <= 1
    unit = dream(shipped, Objective(stage="conv2", channel=5))
    assert unit.values[-1] > unit.values[0]
    assert unit.objective.label == "centre unit of conv2 map 5"


def test_dreaming_refuses_what_is_not_a_conv_map(shipped: Sequential) -> None:
    """A stage that is not a convolution, or a map past its last, is NoSuchMap with a sentence."""
    with pytest.raises(NoSuchMap, match="not a convolution"):
        dream(shipped, Objective(stage="fc1", channel=0))
    with pytest.raises(NoSuchMap, match="maps 0..5"):
        dream(shipped, Objective(stage="conv1", channel=6))
