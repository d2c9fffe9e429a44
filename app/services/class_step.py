"""The class is the mini-batch: one SGD step of a room's own copy of LeNet-5 on the drawings its students tagged.

For N drawings (N, 28, 28) in [0, 1] and the digits they were meant to be, on the weights before the step: each
drawing's loss lᵢ = −log p(labelᵢ), its gradient gᵢ = ∂lᵢ/∂(all parameters) (its norm per layer and in total) and
its share of the mean gradient ḡ = Σgᵢ/N, share_i = ⟨gᵢ, ḡ⟩ / (N‖ḡ‖²) (the shares sum to 1: a mislabelled drawing,
the network sure of another digit, has p − onehot near 2 in norm and dominates). Then one step w ← w − η ḡ
("batch"), or N plain SGD steps w ← w − η gᵢ over the drawings in order ("each"), and every drawing's loss and
prediction after it, conv1's six kernels before / Δ / after and how far each layer moved.

One traced forward and backward of the whole batch gives the mean gradient and, from what each layer read and the
δ it got back, every drawing's own gradient: a dense layer's is the outer product xᵢ δᵢᵀ (norm ‖xᵢ‖‖δᵢ‖), a conv
layer's one small matrix product per drawing of δᵢ with the windows of its input. Everything runs in float64: a
step's η·g is often below float32's resolution of the weights. The room keeps its weights packed as text (pack).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from app.models.lenet import lenet5
from app.nn import Conv2D, Dense, Sequential, softmax, softmax_cross_entropy
from app.nn.conv import pad2d, window_view
from app.services.lenet import PARAMETER_LAYERS

Mode = Literal["batch", "each"]
Params = dict[str, np.ndarray]  # "conv1.w" … "fc3.b" -> float64 array, shaped as the engine's weights
CHUNK = 64  # drawings whose conv windows are copied at once (bounds memory at ~10 MB for 300 drawings)


def network(params: Params) -> Sequential:
    """LeNet-5 computing in float64 with its own copies of params."""
    model = lenet5(np.random.default_rng(0), dtype=np.float64)
    for layer in model.layers:
        layer.params = {key: params[f"{layer.name}.{key}"].astype(np.float64) for key in layer.params}
    return model


def weights_of(model: Sequential) -> Params:
    """model's parameters as float64 copies (the shared network's are float32 and never written)."""
    return {name: value.astype(np.float64) for name, value in model.params().items()}


def pack(params: Params) -> str:
    """The parameters as one base64 text of float64 values, in the network's order (how a room stores them)."""
    return base64.b64encode(np.concatenate([params[name].ravel() for name in sorted_names(params)]).tobytes()).decode()


def unpack(text: str) -> Params:
    """The parameters packed by pack(), shaped as LeNet-5's."""
    flat = np.frombuffer(base64.b64decode(text), np.float64)
    shapes = lenet5(np.random.default_rng(0)).params()
    if flat.size != sum(value.size for value in shapes.values()):
        raise ValueError(f"packed weights hold {flat.size} values, not LeNet-5's")
    params, start = {}, 0
    for name, value in shapes.items():
        params[name] = flat[start : start + value.size].reshape(value.shape).copy()
        start += value.size
    return params


def sorted_names(params: Params) -> list[str]:
    """Parameter names in the network's order (conv1.w, conv1.b, …, fc3.b)."""
    return [f"{layer}.{key}" for layer in PARAMETER_LAYERS for key in ("w", "b") if f"{layer}.{key}" in params]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What the network makes of each of N drawings: its loss for the tagged digit, prediction and p(label)."""

    losses: np.ndarray  # (N,)
    predictions: np.ndarray  # (N,) int
    p_label: np.ndarray  # (N,)


def evaluate(params: Params, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Run images (N, 28, 28) through the network once and read each one's loss and prediction."""
    return reading(network(params).forward(images.astype(np.float64)[:, None]), labels)


def reading(scores: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Each row's loss, prediction and p(label) from the class scores (N, 10)."""
    p = softmax(scores)
    rows = np.arange(len(labels))
    return Evaluation(losses=cross_entropies(scores, labels), predictions=p.argmax(axis=1), p_label=p[rows, labels])


def cross_entropies(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """−log softmax(scores)[label] per row, (N,), computed stably."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels]


@dataclass(frozen=True, eq=False)
class Gradients:
    """The batch's gradients on one set of weights: the mean, and each drawing's own by layer."""

    mean: Params  # ḡ, shaped as the weights
    norms: np.ndarray  # (N, layers) ‖gᵢ‖ of each drawing over each layer's w and b, layers as PARAMETER_LAYERS
    dots: np.ndarray  # (N,) ⟨gᵢ, ḡ⟩ over all parameters

    @property
    def total_norms(self) -> np.ndarray:
        """(N,) ‖gᵢ‖ over all parameters."""
        return np.sqrt((self.norms**2).sum(axis=1))

    @property
    def shares(self) -> np.ndarray:
        """(N,) ⟨gᵢ, ḡ⟩ / (N‖ḡ‖²): each drawing's part of the mean gradient along it; they sum to 1."""
        squared = sum(float((value**2).sum()) for value in self.mean.values())
        return self.dots / (len(self.dots) * squared) if squared > 0 else np.zeros_like(self.dots)


def gradients(params: Params, images: np.ndarray, labels: np.ndarray) -> tuple[Evaluation, Gradients]:
    """One traced forward and backward of the batch (N, 28, 28): what the network makes of each drawing, the mean
    gradient and each drawing's own norms."""
    model = network(params)
    n = len(labels)
    scores = model.forward(images.astype(np.float64)[:, None], trace=True)
    _, dscores = softmax_cross_entropy(scores, labels)
    model.backward(dscores * n, input_grad=False)  # each row is then its drawing's own ∂lᵢ/∂scores
    mean = {name: value / n for name, value in model.grads().items()}
    trace = model.traced()
    norms = np.zeros((n, len(PARAMETER_LAYERS)))
    dots = np.zeros(n)
    for column, name in enumerate(PARAMETER_LAYERS):
        layer, record = model.layer(name), trace[name]
        for start, gw, gb in per_drawing(layer, record.input, record.dout):
            rows = slice(start, start + len(gb))
            norms[rows, column] = np.sqrt(squared_norms(gw) + (gb**2).sum(axis=1))
            dots[rows] += dot(gw, mean[f"{name}.w"]) + gb @ mean[f"{name}.b"]
    return reading(scores, labels), Gradients(mean=mean, norms=norms, dots=dots)


def squared_norms(gw: np.ndarray | tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(n,) ‖∂lᵢ/∂w‖² of each drawing: of its array, or of the outer product xᵢ δᵢᵀ given as (x, δ)."""
    if isinstance(gw, tuple):
        x, delta = gw
        return (x**2).sum(axis=1) * (delta**2).sum(axis=1)
    return (gw.reshape(len(gw), -1) ** 2).sum(axis=1)


def dot(gw: np.ndarray | tuple[np.ndarray, np.ndarray], mean_w: np.ndarray) -> np.ndarray:
    """(n,) ⟨∂lᵢ/∂w, ḡ_w⟩ of each drawing: with its array, or xᵢᵀ ḡ_w δᵢ for the outer product given as (x, δ)."""
    if isinstance(gw, tuple):
        x, delta = gw
        return ((x @ mean_w) * delta).sum(axis=1)
    return gw.reshape(len(gw), -1) @ mean_w.ravel()


def per_drawing(
    layer: object, x: np.ndarray, dout: np.ndarray
) -> Iterator[tuple[int, np.ndarray | tuple[np.ndarray, np.ndarray], np.ndarray]]:
    """Each drawing's gradient of a layer's w and b from what the layer read, x, and the δ it got back, dout, in
    chunks: (first drawing, w's gradients, (n, F) b's gradients). A dense layer's w gradients stay the factors
    (x (n, D), δ (n, M)) of their outer products; a conv layer's are (n, F, C, K, K)."""
    if isinstance(layer, Dense):
        yield 0, (x, dout), dout
        return
    if not isinstance(layer, Conv2D):
        raise TypeError(f"{layer!r} has no parameters to differentiate")
    g = layer.geometry
    f, c, k, _ = layer.params["w"].shape
    oh, ow = dout.shape[2:]
    for start in range(0, len(x), CHUNK):
        xp = pad2d(x[start : start + CHUNK], g.p)
        columns = window_view(xp, k, g.s, g.d, oh, ow).reshape(len(xp), c * k * k, oh * ow)
        delta = dout[start : start + CHUNK].reshape(len(xp), f, oh * ow)
        gw = delta @ columns.transpose(0, 2, 1)
        yield start, gw.reshape(len(xp), f, c, k, k), delta.sum(axis=2)


def sgd_each(params: Params, images: np.ndarray, labels: np.ndarray, lr: float) -> Params:
    """Plain SGD: one step w ← w − η gᵢ per drawing, in order, each gradient on the weights the last step left."""
    model = network(params)
    for image, label in zip(images, labels, strict=True):
        scores = model.forward(image.astype(np.float64)[None, None])
        _, dscores = softmax_cross_entropy(scores, np.array([label]))
        model.backward(dscores, input_grad=False)
        grads = model.grads()
        for name, value in model.params().items():
            value -= lr * grads[name]
    return weights_of(model)


@dataclass(frozen=True, eq=False)
class ClassStep:
    """One class step's numbers: on the weights before it (gradients, losses), after it, and what moved."""

    mode: Mode
    lr: float
    labels: np.ndarray  # (N,)
    before: Evaluation
    after: Evaluation
    grads: Gradients
    params_before: Params
    params_after: Params

    def moved(self) -> dict[str, dict[str, float]]:
        """Per layer: ‖Δ‖ over its w and b, and ‖Δ‖/‖w_before‖."""
        moves = {}
        for layer in PARAMETER_LAYERS:
            names = [f"{layer}.w", f"{layer}.b"]
            delta = np.sqrt(sum(float(((self.params_after[n] - self.params_before[n]) ** 2).sum()) for n in names))
            size = np.sqrt(sum(float((self.params_before[n] ** 2).sum()) for n in names))
            moves[layer] = {"norm": delta, "relative": delta / size if size > 0 else 0.0}
        return moves


def class_step(params: Params, images: np.ndarray, labels: np.ndarray, lr: float, mode: Mode = "batch") -> ClassStep:
    """One class step on images (N, 28, 28) in [0, 1] tagged labels (N,), from params (not modified)."""
    labels = np.asarray(labels, dtype=np.int64)
    before, grads = gradients(params, images, labels)
    if mode == "batch":
        after = {name: value - lr * grads.mean[name] for name, value in params.items()}
    else:
        after = sgd_each(params, images, labels, lr)
    return ClassStep(
        mode=mode,
        lr=lr,
        labels=labels,
        before=before,
        after=evaluate(after, images, labels),
        grads=grads,
        params_before=params,
        params_after=after,
    )
