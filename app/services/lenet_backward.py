"""The backward pass through LeNet-5 as the /lenet page steps it: for one 28×28 image and the digit it should be,
the loss l = −log p(label), ∂l/∂scores = p − onehot, and δ = ∂l/∂(values) at every stage from fc3 back to the
input, with what each kind of layer did on the way (the ReLU masks, the max-pooling winners), every parameter's
gradient, one weight's gradient summed window by window beside a finite difference, which conv kernels an SGD step
moved most, and the multiply-adds each pass takes.

Everything is the engine's own forward and backward pass (app/nn), run on a float64 copy of the weights: when the
network is sure, p − onehot is about 1e-7 and float32 keeps no digit of it, while the finite difference, the
running sum and the engine's gradient must agree to 3 significant digits on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.nn import Conv2D, Dense, MaxPool2D, ReLU, Sequential, numerical_gradient, softmax, softmax_cross_entropy
from app.nn.conv import pad2d, window_view
from app.services.lenet import PARAMETER_LAYERS, STAGES, Stage, weight_sharing_copy
from app.wire.backprop import BackpropResponse, ParameterGradients, StageDeltas

BACKWARD_STAGES = tuple(stage.name for stage in reversed(STAGES))  # fc3 → fc2 → … → input, as δ flows
PARAMETERS = tuple(f"{layer}.{key}" for layer in PARAMETER_LAYERS for key in ("w", "b"))
FD_EPSILON = 1e-5  # float64 rounding of a loss near 10 is ~1e-15, so ~1e-10 in the difference
AGREEMENT = 1e-3  # relative: "agree to 3 significant digits"
TINY = 1e-12  # gradients below this are zero for every digit the page shows


class NoSuchWeight(ValueError):
    """A weight to drill into that is not one of the network's parameters (or an index outside its shape)."""


def widened(model: Sequential) -> Sequential:
    """A copy of model computing in float64: its own caches, its weights' values widened (model is not touched)."""
    twin = weight_sharing_copy(model)
    for layer in twin.layers:
        layer.params = {key: value.astype(np.float64) for key, value in layer.params.items()}
    return twin


def left_of(stage: str) -> Stage:
    """The stage whose values the layer that made `stage` reads (the one drawn to its left)."""
    index = [s.name for s in STAGES].index(stage)
    return STAGES[index - 1]


@dataclass(frozen=True, eq=False)
class Backward:
    """One forward and backward pass of one image for the cross-entropy loss of `label`, per stage of the page.

    Arrays have the batch axis removed: maps (C, H, W), dense stages (M,). The model that ran it stays traced
    (drill() reads it) until the caller drops it.
    """

    label: int
    loss: float
    scores: np.ndarray  # (10,) fc3's outputs
    probabilities: np.ndarray  # (10,)
    activations: dict[str, np.ndarray]  # stage -> its values, as the forward view shows them
    deltas: dict[str, np.ndarray]  # stage -> δ = ∂l/∂(the stage's values); deltas["fc3"] is p − onehot
    masks: dict[str, np.ndarray]  # stage after a ReLU -> where its unit was active (z > 0), bool
    z_deltas: dict[str, np.ndarray]  # stage after a ReLU -> ∂l/∂z = δ · mask, what its layer's backward reads
    winners: dict[str, np.ndarray]  # pool stage -> (C, OH, OW, 2) row and column of each window's winner
    routed: dict[str, np.ndarray]  # stage before a pool -> bool map of the cells that won their window
    gradients: dict[str, np.ndarray]  # "conv1.w" … "fc3.b" -> ∂l/∂parameter, shaped as the shipped weights
    model: Sequential

    @property
    def prediction(self) -> int:
        """The most probable digit."""
        return int(np.argmax(self.probabilities))

    @property
    def grad_scores(self) -> np.ndarray:
        """∂l/∂scores = p − onehot(label), (10,)."""
        return self.deltas["fc3"]


def backward(model: Sequential, image: np.ndarray, label: int | None) -> Backward:
    """Run image (28, 28) through a float64 copy of model and backpropagate −log p(label) to every stage
    (label None: the predicted digit)."""
    twin = widened(model)
    x = image.astype(np.float64).reshape(1, 1, *image.shape)
    scores = twin.forward(x, trace=True)
    label = int(np.argmax(scores[0])) if label is None else label
    _, dscores = softmax_cross_entropy(scores, np.array([label]))
    twin.backward(dscores)
    trace = twin.traced()
    names = [layer.name for layer in twin.layers]
    activations, deltas, masks, z_deltas, winners, routed = {}, {}, {}, {}, {}, {}
    for stage in STAGES:
        record = trace[stage.source] if stage.source else None
        activations[stage.name] = (record.output if record else x)[0]
        deltas[stage.name] = (record.dout if record else trace[names[0]].dx)[0]
        layer = twin.layer(stage.source) if stage.source else None
        if isinstance(layer, ReLU) and record is not None:
            masks[stage.name] = record.input[0] > 0
            z_deltas[stage.name] = record.dx[0]
        if isinstance(layer, MaxPool2D):
            won = layer.winners()[0]
            winners[stage.name] = won
            previous = left_of(stage.name).name
            cells = np.zeros(activations[previous].shape, bool)
            cells[np.arange(won.shape[0])[:, None, None], won[..., 0], won[..., 1]] = True
            routed[previous] = cells
    return Backward(
        label=label,
        loss=cross_entropy(scores[0], label),
        scores=scores[0],
        probabilities=softmax(scores)[0],
        activations=activations,
        deltas=deltas,
        masks=masks,
        z_deltas=z_deltas,
        winners=winners,
        routed=routed,
        gradients={name: twin.grads()[name].copy() for name in PARAMETERS},
        model=twin,
    )


@dataclass(frozen=True)
class Drill:
    """One weight's gradient built window by window: term t is δ_z[t] · input[t], the running sum adds them up.

    For a conv weight w[f, c, i, j] the terms run over the output positions (y, x) of map f in reading order:
    δ_z[f, y, x] · input[c, s·y + i, s·x + j] (padding reads 0). For a conv bias b[f] the input is 1. A dense
    weight w[d, m] has one term for one image, input[d] · δ_z[m]; a dense bias b[m] has δ_z[m].
    """

    parameter: str
    index: tuple[int, ...]
    weight: float
    inputs: np.ndarray  # (OH, OW) for conv, (1,) for dense: what the weight multiplied at each position
    deltas: np.ndarray  # same shape: ∂l/∂z of the unit it fed there
    terms: np.ndarray  # inputs · deltas
    running: np.ndarray  # cumulative sums of terms in reading order (flattened)
    engine: float  # the engine's gradient (conv2d_backward's or Dense's matrix product)
    finite_difference: float  # (l(w + ε) − l(w − ε)) / 2ε in float64
    agree: bool
    note: str | None  # why the three do not agree, when they do not

    @property
    def sum(self) -> float:
        """Where the running sum ends: the gradient added up term by term."""
        return float(self.running[-1])


def check_index(parameter: str, index: tuple[int, ...], model: Sequential) -> None:
    """NoSuchWeight naming what is wrong unless parameter is "<layer>.w|b" and index lies inside it."""
    if parameter not in PARAMETERS:
        raise NoSuchWeight(f"weight.parameter must be one of {', '.join(PARAMETERS)}, not {parameter!r}")
    shape = model.params()[parameter].shape
    if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape, strict=True)):
        sizes = "×".join(map(str, shape))
        raise NoSuchWeight(f"weight.index of {parameter} must be {len(shape)} numbers inside its {sizes} shape")


def drill(result: Backward, parameter: str, index: tuple[int, ...], eps: float = FD_EPSILON) -> Drill:
    """The window-by-window sum of one parameter's gradient over the real δ and input, the engine's value and a
    float64 central difference of the loss; index addresses the parameter as stored (conv (F, C, K, K),
    dense (in, out), biases (out,))."""
    model = result.model
    check_index(parameter, index, model)
    name, key = parameter.split(".")
    layer = model.layer(name)
    record = model.traced()[name]
    z_delta = record.dout[0]  # ∂l/∂(this layer's output before any ReLU)
    unit = index[0] if isinstance(layer, Conv2D) else index[-1]
    if isinstance(layer, Conv2D):
        deltas = z_delta[unit]
        if key == "w":
            g = layer.geometry
            view = window_view(pad2d(record.input, g.p), g.k, g.s, g.d, *deltas.shape)
            inputs = np.array(view[0, index[1], index[2], index[3]])
        else:
            inputs = np.ones_like(deltas)
    else:
        deltas = z_delta[unit : unit + 1]
        inputs = record.input[0, index[0] : index[0] + 1] if key == "w" else np.ones(1)
    terms = inputs * deltas
    engine = float(result.gradients[parameter][index])
    estimate = finite_difference(model, result, parameter, index, eps)
    running = np.cumsum(terms.ravel())
    agree = agrees(engine, estimate) and agrees(engine, float(running[-1]))
    note = None if agree else disagreement(model, result, parameter, index, eps)
    return Drill(
        parameter,
        index,
        float(model.params()[parameter][index]),
        inputs,
        deltas,
        terms,
        running,
        engine,
        estimate,
        agree,
        note,
    )


def agrees(a: float, b: float) -> bool:
    """Whether a and b agree to 3 significant digits (both below TINY count as zero)."""
    return abs(a - b) <= AGREEMENT * max(abs(a), abs(b)) or max(abs(a), abs(b)) < TINY


def loss_of(model: Sequential, result: Backward) -> float:
    """The loss of the traced image for the result's label, by a fresh untraced forward pass of model.

    When the label is the most probable digit, l = log(1 + Σ_{k≠label} e^(s_k − s_label)) by log1p: a sure network
    has l ≈ 1e-11, which log(Σ e^(s_k − max)) rounds to a multiple of 1e-16, too coarse for a finite difference.
    """
    return cross_entropy(model.forward(result.activations["input"][None])[0], result.label)


def cross_entropy(scores: np.ndarray, label: int) -> float:
    """−log p(label) for scores (10,), to full float64 precision even when it is tiny (see loss_of)."""
    if scores.argmax() != label:
        return softmax_cross_entropy(scores[None], np.array([label]))[0]
    return float(np.log1p(np.exp(np.delete(scores, label) - scores[label]).sum()))


def finite_difference(model: Sequential, result: Backward, parameter: str, index: tuple[int, ...], eps: float) -> float:
    """(l(w + ε) − l(w − ε)) / 2ε for the one weight, by the engine's numerical_gradient on a one-cell view.

    Runs on a fresh float64 copy, so the traced model (and its caches) stays as the backward pass left it.
    """
    probe = widened(model)
    cell = tuple(slice(i, i + 1) for i in index)
    return float(numerical_gradient(lambda: loss_of(probe, result), probe.params()[parameter][cell], eps).item())


def disagreement(model: Sequential, result: Backward, parameter: str, index: tuple[int, ...], eps: float) -> str:
    """Why the finite difference and the engine's gradient differ: the kinks within ±ε of the weight, if any."""
    changed: list[str] = []
    passes = []
    for sign in (1, -1):
        probe = widened(model)
        probe.params()[parameter][index] += sign * eps
        probe.forward(result.activations["input"][None], trace=True)
        passes.append(probe)
    plus, minus = passes
    traced_plus, traced_minus = plus.traced(), minus.traced()
    for layer_plus, layer_minus in zip(plus.layers, minus.layers, strict=True):
        if isinstance(layer_plus, ReLU):
            name = layer_plus.name
            flips = int(((traced_plus[name].input > 0) != (traced_minus[name].input > 0)).sum())
            if flips:
                changed.append(f"{flips} unit(s) of {layer_plus.name} switch on or off")
        if isinstance(layer_plus, MaxPool2D) and isinstance(layer_minus, MaxPool2D):
            moved = int((layer_plus.winners() != layer_minus.winners()).any(axis=-1).sum())
            if moved:
                changed.append(f"{moved} window(s) of {layer_plus.name} change winner")
    if changed:
        return (
            f"a kink lies within ±{eps:g} of this weight ({'; '.join(changed)}), so the finite difference "
            "averages two different slopes; the engine's gradient is the slope at the weight itself"
        )
    return "the loss is nearly flat here: the three differ only in digits float64 rounding cannot keep"


@dataclass(frozen=True)
class KernelMove:
    """How far one conv kernel (its weights and bias) moved in a step."""

    layer: str
    kernel: int
    change: float  # ‖Δ‖
    relative: float  # ‖Δ‖ / ‖θ‖ before


def kernel_moves(start: dict[str, np.ndarray], end: dict[str, np.ndarray]) -> list[KernelMove]:
    """For every conv kernel f (w[f] and b[f] together), ‖Δ‖ between two snapshots of the parameters, the kernel
    that moved most first."""
    moves = []
    for name in ("conv1", "conv2"):
        w0, b0 = start[f"{name}.w"].astype(np.float64), start[f"{name}.b"].astype(np.float64)
        dw, db = end[f"{name}.w"] - w0, end[f"{name}.b"] - b0
        change = np.sqrt((dw**2).sum(axis=(1, 2, 3)) + db**2)
        norm = np.sqrt((w0**2).sum(axis=(1, 2, 3)) + b0**2)
        moves += [
            KernelMove(name, f, float(change[f]), float(change[f] / norm[f]) if norm[f] else 0.0)
            for f in range(len(b0))
        ]
    return sorted(moves, key=lambda move: move.change, reverse=True)


@dataclass(frozen=True)
class Work:
    """Multiply-adds of one layer for one image: the forward pass, and the backward pass's two products."""

    layer: str
    forward: int
    backward_weights: int  # ∂l/∂W: the input correlated with δ (conv) or δ · inputᵀ (dense)
    backward_input: int  # ∂l/∂input: the kernels stamped back (conv) or Wᵀ δ (dense)

    @property
    def backward(self) -> int:
        """Both backward products together."""
        return self.backward_weights + self.backward_input


def multiply_adds(model: Sequential) -> list[Work]:
    """Per conv and dense layer, the multiply-adds of each pass for one image, from the traced shapes: a conv
    weight is used once per output position, a dense weight once. ReLU and pooling multiply nothing."""
    trace = model.traced()
    work = []
    for layer in model.layers:
        if isinstance(layer, Conv2D | Dense):
            uses = int(np.prod(trace[layer.name].output.shape[2:])) if isinstance(layer, Conv2D) else 1
            count = int(layer.params["w"].size) * uses
            work.append(Work(layer.name, count, count, count))
    return work


def backprop_answer(model: Sequential, image: np.ndarray, label: int) -> BackpropResponse:
    """POST /api/backprop's answer for image (28, 28) and label on model: loss, ∂l/∂scores, every parameter's
    gradient and every stage's δ, as nested lists."""
    result = backward(weight_sharing_copy(model), image, label)
    gradients = {name.replace(".", "_"): values.tolist() for name, values in result.gradients.items()}
    return BackpropResponse(
        loss=result.loss,
        prediction=result.prediction,
        probabilities=result.probabilities.tolist(),
        grad_scores=result.grad_scores.tolist(),
        gradients=ParameterGradients(**gradients),
        deltas=StageDeltas(**{name: values.tolist() for name, values in result.deltas.items()}),
    )
