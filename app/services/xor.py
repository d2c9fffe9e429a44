"""XOR, live: the 2-2-1 network and the single neuron trained step by step, and the slides' derivation.

- `Trainer` holds one model (the 2-2-1 network or the single neuron) with its task, learning rate and mode
  (full batch, or one example at a time in turn) and takes SGD steps with the engine; it watches its loss for a
  plateau, so the page can say when a run is stuck (a local minimum) instead of still learning.
- `state_frame` turns a trainer into the binary frame the page draws: weights and gradients by slide name, the
  four points (with their hidden coordinates z₁, z₂), ŷ over the input plane and over the hidden square.
- `derivation` walks the slides' backpropagation for one example: every term comes from the engine's traced
  forward and backward pass, and every gradient is checked against app/nn's central finite differences.
- `XorConversation` is one connection's side of /ws/xor: its own two trainers, streaming while running.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from app.models.xor import INPUTS, SlideModel, network, neuron, targets
from app.nn import ACTIVATIONS, SGD, Sequential, numerical_gradient, relative_error, squared_error
from app.nn.sequential import LayerTrace
from app.services.plane import HIDDEN_BOX, INPUT_BOX, grid_points, line_in_box
from app.settings import Settings
from app.wire.frames import pack_frame
from app.wire.limits import at_most
from app.wire.protocol import Reply
from app.wire.xor import (
    DerivationStep,
    Factor,
    GradientCheckRow,
    Mode,
    ModelName,
    SigmoidPrime,
    TaskName,
    Term,
    XorDerivation,
    XorPoint,
    XorRequest,
    XorStateHeader,
)

DEFAULT_SEED = 0
DEFAULT_LR = 2.0
DEFAULT_STEPS_PER_FRAME = 10
HIDDEN_GRID = 25  # cells along each side of ŷ over the hidden square (z₁, z₂) ∈ [−0.1, 1.1]²
GRADCHECK_EPS = 1e-2  # central differences at ε and ε/2, combined by Richardson extrapolation

BUILDERS: dict[ModelName, Callable[[int], SlideModel]] = {"network": network, "neuron": neuron}

# A run is stuck when it is not solved and its loss fell by less than PLATEAU_DROP of itself over the last
# PLATEAU_SPAN / lr steps (lr × steps is the time of the gradient flow, so a small learning rate is not taken for
# a plateau): 500 steps at the default lr 2. The 2-2-1 network starts on a saddle where ŷ ≈ ½ everywhere and the
# loss sits near 0.25 for hundreds of steps before it finds its way down; only a plateau below SADDLE_LOSS counts
# for it, and only in full-batch mode: one example at a time, the noise can shake it off a plateau that full-batch
# gradient descent never leaves (seed 5 stays at 0.167 for 50,000 steps). For the single neuron 0.25 is XOR's
# minimum itself.
PLATEAU_SPAN = 1000.0
PLATEAU_DROP = 0.02
SADDLE_LOSS = 0.245
PLATEAU_MARKS = 20  # losses kept per span: enough to look one span back, small for hundreds of connections


@dataclass
class Trainer:
    """One model learning one task with SGD, step by step; its state is what the page shows."""

    kind: ModelName
    max_steps: int
    seed: int = DEFAULT_SEED
    task: TaskName = "xor"
    lr: float = DEFAULT_LR
    mode: Mode = "batch"
    steps_per_frame: int = DEFAULT_STEPS_PER_FRAME
    running: bool = False
    stopped: str | None = None
    step: int = 0
    example: int | None = None
    grads: dict[str, float] | None = None
    net: SlideModel = field(init=False)
    marks: deque[tuple[int, float]] = field(init=False)  # (step, mean loss) every span / PLATEAU_MARKS steps

    def __post_init__(self) -> None:
        self.reset(self.seed, self.task)

    def reset(self, seed: int, task: TaskName) -> None:
        """Fresh initial weights from seed, learning task; stops a run."""
        self.seed, self.task = seed, task
        self.net = BUILDERS[self.kind](seed)
        self.running, self.stopped, self.step, self.example, self.grads = False, None, 0, None, None
        self.marks = deque(maxlen=PLATEAU_MARKS + 2)

    def configure(self, lr: float, mode: Mode, steps_per_frame: int) -> None:
        """How to train from now on; the weights stay (a new learning rate starts the plateau watch afresh)."""
        if lr != self.lr:
            self.marks.clear()
        self.lr, self.mode, self.steps_per_frame = lr, mode, steps_per_frame

    def span(self) -> int:
        """Steps over which a stuck loss must not fall (PLATEAU_SPAN / lr)."""
        return max(PLATEAU_MARKS, math.ceil(PLATEAU_SPAN / self.lr))

    def watch(self, loss: float) -> None:
        """Keep the loss after this step if it is due for the plateau watch."""
        if self.step % math.ceil(self.span() / PLATEAU_MARKS) == 0:
            self.marks.append((self.step, loss))

    def plateaued(self, loss: float) -> bool:
        """Whether the loss fell by less than PLATEAU_DROP of itself over the last span of steps."""
        before = [past for step, past in self.marks if step <= self.step - self.span()]
        return bool(before) and before[-1] - loss < PLATEAU_DROP * before[-1]

    def stuck(self, loss: float, solved: bool) -> bool:
        """Not solved and no longer learning: a local minimum (for the neuron on XOR, its best is 0.25)."""
        trapped = self.kind == "neuron" or (self.mode == "batch" and loss < SADDLE_LOSS)
        return not solved and trapped and self.plateaued(loss)

    def start(self) -> None:
        """Run until paused, or until the step limit."""
        self.running, self.stopped = self.step < self.max_steps, None
        if not self.running:
            self.stopped = f"the step limit of {self.max_steps} is reached; reset to train again"

    def sgd_step(self) -> None:
        """One SGD step on all four points (batch) or on the next example in turn (example)."""
        if self.mode == "batch":
            x, y, self.example = INPUTS, targets(self.task), None
        else:
            self.example = self.step % len(INPUTS)
            x, y = INPUTS[self.example : self.example + 1], targets(self.task)[self.example : self.example + 1]
        model = self.net.model
        _, dout = squared_error(model.forward(x), y)
        model.backward(dout, input_grad=False)
        self.grads = self.net.grads()
        SGD(self.lr).step(model.params(), model.grads())
        self.step += 1

    def train(self, steps: int) -> list[float]:
        """Take up to steps SGD steps (never past the step limit); the mean loss after each."""
        losses = []
        for _ in range(min(steps, self.max_steps - self.step)):
            self.sgd_step()
            losses.append(self.loss())
            self.watch(losses[-1])
        if self.step >= self.max_steps and self.running:
            self.running = False
            self.stopped = f"stopped at the step limit of {self.max_steps}; reset to train again"
        return losses

    def loss(self) -> float:
        """Mean over the four points of l = (y − ŷ)² at the current weights."""
        return squared_error(self.net.model.forward(INPUTS), targets(self.task))[0]


def output_part(model: Sequential) -> Sequential:
    """The network above the hidden layer (output and sigma2): ŷ as a function of (z₁, z₂)."""
    return Sequential(model.layers[2:])


def points(trainer: Trainer) -> list[XorPoint]:
    """The four points with their prediction, loss and, for the network, hidden coordinates (from the trace)."""
    model, y = trainer.net.model, targets(trainer.task)[:, 0]
    yhat = model.forward(INPUTS, trace=True)[:, 0]
    hidden = model.traced()["sigma1"].output if trainer.kind == "network" else None
    return [
        XorPoint(
            x1=float(x[0]),
            x2=float(x[1]),
            y=float(t),
            yhat=float(p),
            loss=float((t - p) ** 2),
            z1=None if hidden is None else float(hidden[i, 0]),
            z2=None if hidden is None else float(hidden[i, 1]),
        )
        for i, (x, t, p) in enumerate(zip(INPUTS, y, yhat, strict=True))
    ]


def state_frame(trainer: Trainer, losses: list[float], size: int) -> bytes:
    """The xor_state binary frame of a trainer: header of numbers, ŷ grids as arrays."""
    net, model = trainer.net, trainer.net.model
    params, pts = net.values(), points(trainer)
    arrays = {
        "surface": model.forward(grid_points(size, INPUT_BOX)).reshape(size, size),
        "losses": np.array(losses, dtype=np.float64),
    }
    is_network = trainer.kind == "network"
    loss, solved = trainer.loss(), all((p.yhat > 0.5) == (p.y > 0.5) for p in pts)
    if is_network:
        hidden = output_part(model).forward(grid_points(HIDDEN_GRID, HIDDEN_BOX))
        arrays["hidden_surface"] = hidden.reshape(HIDDEN_GRID, HIDDEN_GRID)
    header = XorStateHeader(
        model=trainer.kind,
        task=trainer.task,
        seed=trainer.seed,
        lr=trainer.lr,
        mode=trainer.mode,
        steps_per_frame=trainer.steps_per_frame,
        step=trainer.step,
        running=trainer.running,
        stopped=trainer.stopped,
        loss=loss,
        params=params,
        grads=trainer.grads,
        example=trainer.example,
        solved=solved,
        stuck=trainer.stuck(loss, solved),
        points=pts,
        box=INPUT_BOX,
        size=size,
        line=None if is_network else line_in_box(params["w1"], params["w2"], params["b"], INPUT_BOX),
        hidden_box=HIDDEN_BOX if is_network else None,
        hidden_size=HIDDEN_GRID if is_network else None,
        hidden_line=line_in_box(params["w5"], params["w6"], params["b3"], HIDDEN_BOX) if is_network else None,
    )
    return pack_frame(header.model_dump(), arrays)


# ---- the slides' derivation ----

# Layer 2 of the slide: (parameter or node, the input its local derivative multiplies, diagram parts it uses).
LAYER2 = (
    ("w5", "z1", ["w5", "z1", "yhat"]),
    ("w6", "z2", ["w6", "z2", "yhat"]),
    ("b3", None, ["b3", "yhat"]),
    ("z1", "w5", ["w5", "z1", "yhat"]),
    ("z2", "w6", ["w6", "z2", "yhat"]),
)
# Layer 1 of the slide: (parameter, the hidden node it feeds, the input it multiplies).
LAYER1 = (
    ("w1", "z1", "x1"),
    ("w2", "z2", "x1"),
    ("w3", "z1", "x2"),
    ("w4", "z2", "x2"),
    ("b1", "z1", None),
    ("b2", "z2", None),
)
# Each sigmoid's pre-activation as the slides write it, and where it sits in the engine's trace:
# (Dense layer, sigmoid layer, column).
PRE_ACTIVATIONS = {
    "z1": ("w1 x1 + w3 x2 + b1", "hidden", "sigma1", 0),
    "z2": ("w2 x1 + w4 x2 + b2", "hidden", "sigma1", 1),
    "yhat": ("w5 z1 + w6 z2 + b3", "output", "sigma2", 0),
}
SIGMOID = ACTIVATIONS["sigmoid"]


def sigmoid_factors(out: str, values: dict[str, float], times: str | None) -> list[Factor]:
    """A sigmoid's local derivative as the slide writes it: out · (1 − out) · times."""
    factors = [Factor(expr=out, value=values[out]), Factor(expr=f"1 - {out}", value=1 - values[out])]
    return factors + ([Factor(expr=times, value=values[times])] if times else [])


def product(factors: Iterable[Factor]) -> float:
    """The product of the factors' values."""
    return float(np.prod([f.value for f in factors]))


def sigmoid_primes(trace: dict[str, LayerTrace]) -> dict[str, SigmoidPrime]:
    """The σ′ line of each sigmoid (z₁, z₂, ŷ) from the traced pass: a, σ(a) and the engine's σ′(a)."""
    primes = {}
    for out, (arg, dense, sigma, column) in PRE_ACTIVATIONS.items():
        a, h = float(trace[dense].output[0, column]), float(trace[sigma].output[0, column])
        derivative = float(SIGMOID.derivative(np.array([a]), np.array([h]))[0])
        primes[out] = SigmoidPrime(out=out, arg=arg, a=a, sigma=h, derivative=derivative)
    return primes


def traced_values(
    net: SlideModel, x: np.ndarray, y: np.ndarray
) -> tuple[dict[str, float], dict[str, float], dict[str, SigmoidPrime]]:
    """One traced forward and backward pass: every symbol's value, the engine's ∂l/∂ of ŷ, z₁, z₂ and every
    weight, and each sigmoid's σ′ line."""
    model = net.model
    yhat = model.forward(x, trace=True)
    loss, dout = squared_error(yhat, y)
    model.backward(dout)
    trace = model.traced()
    z = trace["sigma1"].output[0]
    values = {
        "x1": float(x[0, 0]),
        "x2": float(x[0, 1]),
        "y": float(y[0, 0]),
        "z1": float(z[0]),
        "z2": float(z[1]),
        "yhat": float(trace["sigma2"].output[0, 0]),
        "l": loss,
        **net.values(),
    }
    dz = trace["output"].dx[0]
    engine = {"yhat": float(trace["sigma2"].dout[0, 0]), "z1": float(dz[0]), "z2": float(dz[1]), **net.grads()}
    return values, engine, sigmoid_primes(trace)


def derivation_steps(
    values: dict[str, float], engine: dict[str, float], primes: dict[str, SigmoidPrime]
) -> list[DerivationStep]:
    """The slides' derivation in order: ∂l/∂ŷ, then layer 2 (w₅, w₆, b₃, z₁, z₂), then layer 1 (w₁…w₄, b₁, b₂)."""
    first = [
        Factor(expr="2", value=2.0),
        Factor(expr="y - yhat", value=values["y"] - values["yhat"]),
        Factor(expr="-1", value=-1.0),
    ]
    dl_dyhat = Term(of="l", wrt="yhat", value=engine["yhat"])
    steps = [
        DerivationStep(
            id="yhat",
            layer="loss",
            target=dl_dyhat,
            carried=None,
            local=dl_dyhat,
            factors=first,
            sigmoid=None,
            product=product(first),
            highlight=["yhat"],
        )
    ]
    for name, times, parts in LAYER2:
        factors = sigmoid_factors("yhat", values, times)
        local = Term(of="yhat", wrt=name, value=product(factors))
        steps.append(
            DerivationStep(
                id=name,
                layer="layer 2",
                target=Term(of="l", wrt=name, value=engine[name]),
                carried=dl_dyhat,
                local=local,
                factors=factors,
                sigmoid=primes["yhat"],
                product=dl_dyhat.value * local.value,
                highlight=parts,
            )
        )
    for name, node, times in LAYER1:
        factors = sigmoid_factors(node, values, times)
        local = Term(of=node, wrt=name, value=product(factors))
        carried = Term(of="l", wrt=node, value=engine[node])
        steps.append(
            DerivationStep(
                id=name,
                layer="layer 1",
                target=Term(of="l", wrt=name, value=engine[name]),
                carried=carried,
                local=local,
                factors=factors,
                sigmoid=primes[node],
                product=carried.value * local.value,
                highlight=[name, node] + ([times] if times else []),
            )
        )
    return steps


def extrapolated_gradient(f: Callable[[], float], x: np.ndarray, eps: float) -> np.ndarray:
    """app/nn's central differences at eps and eps/2 combined as (4·D(eps/2) − D(eps)) / 3.

    The combination cancels the eps² term of the central difference's error, so eps can be large enough to keep
    float64 round-off small even when training has made the gradients tiny (1e-7 and less).
    """
    return (4 * numerical_gradient(f, x, eps / 2) - numerical_gradient(f, x, eps)) / 3


def gradient_check(net: SlideModel, x: np.ndarray, y: np.ndarray, analytic: dict[str, float]) -> list[GradientCheckRow]:
    """Each parameter's gradient next to the finite-difference gradient of the same loss."""
    model = net.model

    def loss() -> float:
        return squared_error(model.forward(x), y)[0]

    numeric = {key: extrapolated_gradient(loss, array, GRADCHECK_EPS) for key, array in model.params().items()}
    rows = []
    for name, (key, index) in net.names.items():
        a, n = analytic[name], float(numeric[key][index])
        rows.append(
            GradientCheckRow(
                name=name,
                engine_name=net.engine_name(name),
                analytic=a,
                numeric=n,
                relative_error=relative_error(np.array([a]), np.array([n])),
            )
        )
    return rows


def derivation(trainer: Trainer, example: int) -> XorDerivation:
    """The derivation message for one example at the trainer's current weights (the 2-2-1 network only)."""
    x, y = INPUTS[example : example + 1], targets(trainer.task)[example : example + 1]
    values, engine, primes = traced_values(trainer.net, x, y)
    return XorDerivation(
        example=example,
        step=trainer.step,
        values=values,
        steps=derivation_steps(values, engine, primes),
        check=gradient_check(trainer.net, x, y, engine),
        eps=GRADCHECK_EPS,
    )


# ---- one connection ----


class XorConversation:
    """One connection to /ws/xor: a private 2-2-1 network and single neuron, trained while the page watches."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.trainers = {kind: Trainer(kind, settings.xor_max_run_steps) for kind in BUILDERS}

    def handle(self, message: XorRequest) -> list[Reply] | Iterator[Reply]:
        """Answer message; while a model is running, go on streaming its frames after the answer."""
        replies = self.answer(message)
        if any(trainer.running for trainer in self.trainers.values()):
            return itertools.chain(replies, self.stream())
        return replies

    def answer(self, message: XorRequest) -> list[Reply]:
        """The immediate replies to one request."""
        if message.type == "xor_derive":
            return [derivation(self.trainers["network"], message.example)]
        trainer = self.trainers[message.model]
        if message.type == "xor_reset":
            trainer.reset(message.seed, message.task)
        elif message.type == "xor_config":
            at_most("lr", message.lr, "xor_max_lr", self.settings)
            at_most("steps_per_frame", message.steps_per_frame, "xor_max_steps_per_frame", self.settings)
            trainer.configure(message.lr, message.mode, message.steps_per_frame)
        elif message.type == "xor_run":
            trainer.start()
            if trainer.running:
                return []
        elif message.type == "xor_pause":
            trainer.running = False
        elif message.type == "xor_step":
            trainer.running = False
            return [self.frame(trainer, trainer.train(1))]
        return [self.frame(trainer, [])]

    def stream(self) -> Iterator[Reply]:
        """A frame every steps_per_frame steps of each running model, until none runs (or a new request comes)."""
        while running := [trainer for trainer in self.trainers.values() if trainer.running]:
            for trainer in running:
                yield self.frame(trainer, trainer.train(trainer.steps_per_frame))

    def frame(self, trainer: Trainer, losses: list[float]) -> bytes:
        """The trainer's state as a binary frame."""
        return state_frame(trainer, losses, self.settings.surface_grid)
