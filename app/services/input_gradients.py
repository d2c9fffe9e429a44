"""Three uses of the gradient with respect to the input, on the 28×28 image LeNet-5 reads from a drawing.

- Saliency: ∂ score[target] / ∂ pixel, and gradient × input (how much each pixel's ink, as it is, contributes to
  the score to first order), both signed and normalised by their largest magnitude, which is stated.
- An adversarial example (FGSM): x' = clip(x + ε · sign(∇ₓ l), 0, 1) for l = −log p(label), one shot at a chosen
  ε, the smallest one-shot ε on a grid that makes LeNet read another digit, and an iterated variant (small steps,
  each along the sign of the gradient where it is, until the reading changes).
- Dreaming: gradient ascent on the input for a class score (or a conv unit's value before its ReLU), from a
  blank or from the drawing, with a small L2 pull towards paper, a light blur every few steps and clipping to
  [0, 1] so the picture stays readable; a few frames of the ascent are kept.

Every gradient is the engine's own backward pass (app/nn Sequential.backward) on a float64 copy of the weights
(lenet_backward.widened): when LeNet is sure, p − onehot is about 1e-7 and float32 would keep no digit of the
loss's gradient, so its sign, which FGSM steps along, would be noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.models.lenet import CLASSES
from app.nn import Conv2D, Sequential, conv2d_forward, softmax, softmax_cross_entropy
from app.services.lenet_backward import widened

EPSILON_GRID = np.round(np.arange(1, 101) * 0.005, 3)  # one-shot ε tried for the smallest flip: 0.005 … 0.5
ITERATED_STEP = 0.01  # each iterated step moves every pixel by at most this much
ITERATED_MAX_STEPS = 50  # so the iterated attack moves a pixel by at most 0.5
DREAM_STEPS = 60
DREAM_FRAMES = 6  # snapshots kept, the start and the end included
DREAM_RATE = 0.12  # the largest change of a pixel in one ascent step
DREAM_L2 = 0.1  # pull towards paper, against a gradient scaled to 1 at its largest: ink that does not help fades
DREAM_BLUR_EVERY = 5  # steps between blurs
DREAM_BLUR_MIX = 0.6  # a blur replaces x by (1 − mix) · x + mix · blur(x)
BLUR = np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]).reshape(1, 1, 3, 3) / 16  # 3×3 binomial kernel
TINY = 1e-30


class NoSuchMap(ValueError):
    """A conv map to dream about that is not a map of the network's conv layers."""


def normalised(values: np.ndarray) -> tuple[np.ndarray, float]:
    """values / max |values| (signed, in [−1, 1]) and that largest magnitude, the scale to state (0: all zero)."""
    scale = float(np.abs(values).max())
    return (values / scale if scale > 0 else np.zeros_like(values)), scale


@dataclass(frozen=True, eq=False)
class Saliency:
    """The gradient of one class score with respect to the input, and gradient × input, for one image."""

    target: int
    score: float  # fc3's score of the target (before softmax)
    probabilities: np.ndarray  # (10,)
    gradient: np.ndarray  # (28, 28) ∂ score[target] / ∂ pixel
    times_input: np.ndarray  # (28, 28) gradient · pixel

    @property
    def prediction(self) -> int:
        return int(np.argmax(self.probabilities))


def saliency(model: Sequential, image: np.ndarray, target: int | None = None) -> Saliency:
    """∂ score[target] / ∂ input and gradient × input for image (28, 28); target None: the predicted digit."""
    twin = widened(model)
    x = image.astype(np.float64).reshape(1, 1, *image.shape)
    scores = twin.forward(x)
    target = int(np.argmax(scores[0])) if target is None else target
    gradient = twin.backward(np.eye(CLASSES)[[target]])[0, 0]
    return Saliency(target, float(scores[0, target]), softmax(scores)[0], gradient, gradient * x[0, 0])


def loss_gradient(model64: Sequential, images: np.ndarray, label: int) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities (N, 10) of images (N, 28, 28) and ∂(−log p(label)) / ∂ image for each, (N, 28, 28)."""
    scores = model64.forward(images[:, None])
    _, dscores = softmax_cross_entropy(scores, np.full(len(images), label))
    return softmax(scores), model64.backward(dscores * len(images))[:, 0]


def probabilities_of(model64: Sequential, images: np.ndarray) -> np.ndarray:
    """Probabilities (N, 10) of images (N, 28, 28): one forward pass, no gradient."""
    return softmax(model64.forward(images[:, None]))


@dataclass(frozen=True, eq=False)
class Adversarial:
    """An input pushed to raise the loss of `label`: the new image, how it differs, and what LeNet reads now."""

    label: int  # the class whose loss −log p(label) the steps raise
    epsilon: float  # the largest change of any pixel, max |x' − x|
    steps: int  # gradient steps taken (1 for one-shot FGSM)
    image: np.ndarray  # (28, 28) x', in [0, 1]
    perturbation: np.ndarray  # (28, 28) x' − x
    probabilities: np.ndarray  # (10,) of x'

    @property
    def prediction(self) -> int:
        return int(np.argmax(self.probabilities))


@dataclass(frozen=True, eq=False)
class Attack:
    """One-shot FGSM on one image at one ε."""

    before: np.ndarray  # (10,) probabilities of the clean image
    one_shot: Adversarial  # at the chosen ε

    @property
    def prediction(self) -> int:
        """What LeNet reads on the clean image."""
        return int(np.argmax(self.before))


def step_direction(model64: Sequential, x: np.ndarray, label: int | None) -> tuple[np.ndarray, int, np.ndarray]:
    """The clean probabilities (10,) of x (28, 28), the label whose loss rises (None: the digit LeNet reads) and
    sign(∇ₓ −log p(label)), (28, 28): the direction every FGSM step takes."""
    before = probabilities_of(model64, x[None])[0]
    label = int(np.argmax(before)) if label is None else label
    _, gradient = loss_gradient(model64, x[None], label)
    return before, label, np.sign(gradient[0])


def fgsm(model: Sequential, image: np.ndarray, epsilon: float, label: int | None = None) -> Attack:
    """One-shot FGSM at epsilon for image (28, 28), raising the loss of label (None: the digit LeNet reads)."""
    twin = widened(model)
    x = image.astype(np.float64)
    before, label, direction = step_direction(twin, x, label)
    shot = np.clip(x + epsilon * direction, 0, 1)
    return Attack(before, Adversarial(label, epsilon, 1, shot, shot - x, probabilities_of(twin, shot[None])[0]))


def smallest_flip(model: Sequential, image: np.ndarray, label: int | None = None) -> float | None:
    """The smallest ε of EPSILON_GRID at which one-shot FGSM (against label; None: the digit LeNet reads) makes
    LeNet read another digit, or None: one forward pass of the grid's images as a batch. It does not depend on the
    ε a student chooses, so a page can ask once per drawing."""
    twin = widened(model)
    x = image.astype(np.float64)
    before, _, direction = step_direction(twin, x, label)
    candidates = np.clip(x + EPSILON_GRID[:, None, None] * direction, 0, 1)
    flipped = np.flatnonzero(probabilities_of(twin, candidates).argmax(axis=1) != np.argmax(before))
    return float(EPSILON_GRID[flipped[0]]) if flipped.size else None


def iterated_fgsm(model: Sequential, image: np.ndarray, label: int | None = None) -> Adversarial:
    """Steps of ITERATED_STEP along the sign of the loss gradient at the current image (raising the loss of label;
    None: the digit LeNet reads), until LeNet reads another digit (or ITERATED_MAX_STEPS); ε is the largest pixel
    change reached."""
    twin = widened(model)
    x = image.astype(np.float64)
    read_as = int(np.argmax(probabilities_of(twin, x[None])[0]))
    label = read_as if label is None else label
    current, steps, reading = x, 0, read_as
    while reading == read_as and steps < ITERATED_MAX_STEPS:
        _, gradient = loss_gradient(twin, current[None], label)
        current = np.clip(current + ITERATED_STEP * np.sign(gradient[0]), 0, 1)
        probabilities = probabilities_of(twin, current[None])[0]
        steps, reading = steps + 1, int(np.argmax(probabilities))
    change = current - x
    return Adversarial(label, round(float(np.abs(change).max()), 9), steps, current, change, probabilities)


@dataclass(frozen=True)
class Objective:
    """What dreaming maximises: a class score (fc3, before softmax), or one conv unit's value before its ReLU, the
    unit at the centre of a chosen map."""

    target: int = 0  # the digit whose score rises, when no map is chosen
    stage: str | None = None  # "conv1" or "conv2": the centre unit of one of its maps rises instead
    channel: int = 0  # which map of that stage

    @property
    def label(self) -> str:
        return f"score of {self.target}" if self.stage is None else f"centre unit of {self.stage} map {self.channel}"


def objective_gradient(model64: Sequential, objective: Objective, x: np.ndarray) -> tuple[float, np.ndarray]:
    """The objective's value at image x (28, 28) and its gradient with respect to x, (28, 28)."""
    if objective.stage is None:
        scores = model64.forward(x[None, None])
        return float(scores[0, objective.target]), model64.backward(np.eye(CLASSES)[[objective.target]])[0, 0]
    names = [layer.name for layer in model64.layers]
    if objective.stage not in names or not isinstance(model64.layer(objective.stage), Conv2D):
        raise NoSuchMap(f"{objective.stage!r} is not a convolution of this network")
    head = Sequential(model64.layers[: names.index(objective.stage) + 1])
    z = head.forward(x[None, None])
    if not 0 <= objective.channel < z.shape[1]:
        raise NoSuchMap(f"{objective.stage} has maps 0..{z.shape[1] - 1}, not {objective.channel}")
    row, col = z.shape[2] // 2, z.shape[3] // 2
    dz = np.zeros_like(z)
    dz[0, objective.channel, row, col] = 1
    return float(z[0, objective.channel, row, col]), head.backward(dz)[0, 0]


def blur(x: np.ndarray) -> np.ndarray:
    """x (28, 28) smoothed by a 3×3 binomial kernel (the engine's conv2d_forward, zero padding)."""
    out, _ = conv2d_forward(x[None, None], BLUR, None, 1, 1)
    return out[0, 0]


@dataclass(frozen=True, eq=False)
class Dream:
    """Gradient ascent on the input for one objective: a few snapshots, the objective at each, and the end."""

    objective: Objective
    steps: list[int]  # the ascent step of each snapshot (0: the start)
    frames: np.ndarray  # (F, 28, 28) snapshots in [0, 1]
    values: list[float]  # the objective at each snapshot
    probabilities: np.ndarray  # (10,) of the last snapshot

    @property
    def prediction(self) -> int:
        return int(np.argmax(self.probabilities))


def dream(model: Sequential, objective: Objective, start: np.ndarray | None = None, steps: int = DREAM_STEPS) -> Dream:
    """Ascend objective from start (28, 28; None: blank paper): each step moves the image by DREAM_RATE times its
    gradient scaled to 1 at its largest, minus DREAM_L2 · x, clips it to [0, 1], and blurs it in part every few steps
    (not after the last)."""
    twin = widened(model)
    x = np.zeros((28, 28)) if start is None else start.astype(np.float64)
    keep = set(np.linspace(0, steps, DREAM_FRAMES).round().astype(int).tolist())
    kept, frames, values = [], [], []
    for step in range(steps + 1):
        value, gradient = objective_gradient(twin, objective, x)
        if step in keep:
            kept.append(step)
            frames.append(x.copy())
            values.append(value)
        if step == steps:
            break
        ascent = gradient / max(float(np.abs(gradient).max()), TINY) - DREAM_L2 * x
        x = np.clip(x + DREAM_RATE * ascent, 0, 1)
        if (step + 1) % DREAM_BLUR_EVERY == 0 and step + 1 < steps:
            x = (1 - DREAM_BLUR_MIX) * x + DREAM_BLUR_MIX * blur(x)
    probabilities = probabilities_of(twin, x[None])[0]
    return Dream(objective, kept, np.stack(frames), values, probabilities)
