"""LeNet in action: a drawing through LeNet-5 with every layer's activations, the gradients of a chosen class's
score, the receptive fields, and a few SGD steps on a private copy of the weights ("teach this digit").

The page shows eight stages, left to right as the data flows; each is the output of one engine layer:
input (what conv1 reads), conv1 (after relu1), pool1, conv2 (after relu2), pool2, fc1 (after relu3),
fc2 (after relu4) and fc3 (the class scores, before softmax). Each shown map is exactly what the next layer reads.

Every connection runs its own copy of the network's layers (so two threads never share a layer's cache) that
reads the shared weight arrays and never writes them; teaching first gives that copy weights of its own.
Results travel as binary frames (app/wire/frames.py): maps as bytes with a range per map, the numbers that
matter (probabilities, scores) exact in the JSON header. docs/protocol/lenet.md describes them.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

from app.data.drawing import Preprocessed, downscale, preprocess_drawing, preprocess_drawings
from app.models.lenet import CLASSES
from app.nn import SGD, Conv2D, Dense, Sequential, softmax, softmax_cross_entropy
from app.services.answer_cache import cache_of, key_of
from app.wire.frames import pack_frame, pack_frames
from app.wire.lenet import Movement, Preprocessing

Kind = Literal["input", "conv", "pool", "dense"]


@dataclass(frozen=True)
class Stage:
    """One column of the page: its name, the engine layer whose output it shows, and what kind of layer made it."""

    name: str
    source: str  # engine layer whose output this is; "" for the input (what the first layer reads)
    kind: Kind
    caption: str
    signed: bool = False  # values may be negative (else ≥ 0: pixels, and outputs of ReLU or of pooling them)


STAGES: tuple[Stage, ...] = (
    Stage("input", "", "input", "what the network sees"),
    Stage("conv1", "relu1", "conv", "5×5 convolution, padding 2, then ReLU"),
    Stage("pool1", "pool1", "pool", "2×2 max pooling, stride 2"),
    Stage("conv2", "relu2", "conv", "5×5 convolution over all 6 maps, then ReLU"),
    Stage("pool2", "pool2", "pool", "2×2 max pooling, stride 2"),
    Stage("fc1", "relu3", "dense", "fully connected from all 400 values, then ReLU"),
    Stage("fc2", "relu4", "dense", "fully connected, then ReLU"),
    Stage("fc3", "fc3", "dense", "class scores (before softmax)", signed=True),
)
PARAMETER_LAYERS = ("conv1", "conv2", "fc1", "fc2", "fc3")
CONV_STAGES = tuple(stage.name for stage in STAGES if stage.kind == "conv")


class NothingDrawn(ValueError):
    """A request that needs a drawing, made with an empty canvas."""


class NoSuchUnit(ValueError):
    """A unit to zoom into that is not a unit of a conv stage."""


def weight_sharing_copy(model: Sequential, private: bool = False) -> Sequential:
    """The same network with its own caches and gradients, so threads can run copies side by side.

    The copy reads model's weight arrays (never writes them) unless `private`, which gives it copies of its own.
    """
    layers = []
    for layer in model.layers:
        twin = copy.copy(layer)
        twin.params = {key: value.copy() if private else value for key, value in layer.params.items()}
        twin.grads, twin.cache = {}, None
        layers.append(twin)
    return Sequential(layers)


@dataclass(frozen=True, eq=False)
class Prepared:
    """A drawing turned into LeNet's 28×28 input (None when nothing is drawn), with where the strokes were."""

    image: np.ndarray | None
    mode: Preprocessing
    drawing: dict

    @property
    def empty(self) -> bool:
        return self.image is None


def prepare(canvas: np.ndarray, mode: Preprocessing = "mnist") -> Prepared:
    """The canvas (ink 0..255 or any canvas preprocess_drawing reads) as LeNet's input, MNIST-style or merely shrunk.

    Both modes call an empty canvas empty, so the page shows no guess; a ValueError names a malformed canvas.
    """
    return prepared(preprocess_drawing(canvas), mode)


def prepare_many(canvases: Sequence[np.ndarray], modes: Sequence[Preprocessing]) -> list[Prepared]:
    """prepare of each canvas with its mode; the page's pads (2-D uint8, MNIST-style) of one size are preprocessed
    together (app/data/drawing.py preprocess_drawings; one alone is faster the plain way), any other canvas alone."""
    answers: list[Prepared | None] = [None] * len(canvases)
    pads: dict[tuple[int, ...], list[int]] = {}  # shape -> the pads of that shape
    for index, (canvas, mode) in enumerate(zip(canvases, modes, strict=True)):
        if mode == "mnist" and canvas.ndim == 2 and canvas.dtype == np.uint8:
            pads.setdefault(canvas.shape, []).append(index)
        else:
            answers[index] = prepare(canvas, mode)
    for indices in pads.values():
        pad = [canvases[index] for index in indices]
        stages = preprocess_drawings(np.stack(pad)) if len(pad) > 1 else [preprocess_drawing(pad[0])]
        for index, stage in zip(indices, stages, strict=True):
            answers[index] = prepared(stage, "mnist")
    return [answer for answer in answers if answer is not None]  # every one prepared by now


def prepared(stages: Preprocessed, mode: Preprocessing) -> Prepared:
    """What a frame shows of a preprocessed drawing: LeNet's input in `mode` and where the strokes were."""
    drawing = {
        "size": list(stages.ink.shape),
        "box": stages.box,
        "offset": stages.offset,
        "center_of_mass": stages.center_of_mass,
    }
    if stages.image is None:  # nothing drawn
        return Prepared(None, mode, drawing)
    image = stages.image if mode == "mnist" else downscale(stages.ink)  # raw_downscale(canvas), ink read once
    return Prepared(image.astype(np.float32), mode, drawing)


@dataclass(frozen=True, eq=False)
class Reading:
    """One forward pass (and, when explaining, one backward pass) of one image, per stage."""

    scores: np.ndarray  # (10,) fc3's outputs
    probabilities: np.ndarray  # (10,) softmax of the scores
    activations: dict[str, np.ndarray]  # stage -> (C, H, W) maps or (M,) units, batch axis removed
    gradients: dict[str, np.ndarray] | None = None  # stage -> ∂ score[target] / ∂ that stage's values
    target: int | None = None

    @property
    def prediction(self) -> int:
        return int(np.argmax(self.probabilities))


def read(model: Sequential, image: np.ndarray, explain: bool = False, target: int | None = None) -> Reading:
    """Run image (28, 28) through model once with tracing; with explain, backpropagate the score of `target`
    (default: the predicted class) to the input and to every stage."""
    (reading,) = read_many(model, image[np.newaxis])
    if not explain:
        return reading
    target = reading.prediction if target is None else target
    trace = model.traced()
    model.backward(np.eye(CLASSES, dtype=reading.scores.dtype)[[target]])
    gradients = {
        stage.name: (trace[stage.source].dout if stage.source else trace[model.layers[0].name].dx)[0]
        for stage in STAGES
    }
    return Reading(reading.scores, reading.probabilities, reading.activations, gradients, target)


def read_many(model: Sequential, images: np.ndarray) -> list[Reading]:
    """Each of images (N, 28, 28) through model in one traced forward pass: N drawings cost about one pass's
    NumPy calls (at N = 8 about a third of the time per image). Each reading's maps are its own copies."""
    x = images.reshape(len(images), 1, *images.shape[1:])
    scores = model.forward(x, trace=True)
    trace = model.traced()
    outputs = {stage.name: trace[stage.source].output if stage.source else x for stage in STAGES}
    probabilities = softmax(scores)
    return [
        Reading(scores[i].copy(), probabilities[i], {name: values[i].copy() for name, values in outputs.items()})
        for i in range(len(x))
    ]


def prediction_frame(prepared: Prepared, reading: Reading | None, header: dict) -> bytes:
    """The binary `prediction` frame: exact numbers in the header, every stage's values as bytes per map.

    Arrays: one per stage (named like the stage) and, when explaining, "grad.<stage>" for each.
    """
    return prediction_frames([(prepared, reading, header)])[0]


def prediction_frames(answers: list[tuple[Prepared, Reading | None, dict]]) -> list[bytes]:
    """The prediction frames of several drawings, packed together (app/wire/frames.py pack_frames)."""
    return pack_frames([prediction_fields(*answer) for answer in answers])


def prediction_fields(
    prepared: Prepared, reading: Reading | None, header: dict
) -> tuple[dict, dict[str, np.ndarray], frozenset[str]]:
    """A prediction frame's header fields, its arrays and the names of those sent as u8 maps."""
    fields = {
        "type": "prediction",
        "unit": None,
        **header,
        "preprocess": prepared.mode,
        "drawing": prepared.drawing,
        "empty": reading is None,
        "prediction": None,
        "probabilities": None,
        "scores": None,
        "explain": None,
    }
    if reading is None:
        return fields, {}, frozenset()
    fields |= {
        "prediction": reading.prediction,
        "probabilities": reading.probabilities.tolist(),
        "scores": reading.scores.tolist(),
    }
    arrays = dict(reading.activations)
    if reading.gradients is not None:
        fields["explain"] = {"target": reading.target, "score": float(reading.scores[reading.target])}
        arrays |= {f"grad.{name}": values for name, values in reading.gradients.items()}
    return fields, arrays, frozenset(arrays)


@dataclass(frozen=True)
class Unit:
    """One unit of a conv stage: its map (channel), row and column, 0-based."""

    stage: str
    channel: int
    row: int
    col: int


def unit_computation(model: Sequential, reading: Reading, unit: Unit) -> dict:
    """What one conv unit computed on this drawing: the window of the stage before it (zero padding outside),
    its kernel, their products, the sum per map and in all with the bias, and the engine's own result.

    Reads model.trace, so call it after read() and before the session releases the pass.
    """
    if unit.stage not in CONV_STAGES:
        raise NoSuchUnit(f"unit.stage must be one of {', '.join(CONV_STAGES)}, not {unit.stage!r}")
    index = [stage.name for stage in STAGES].index(unit.stage)
    previous = STAGES[index - 1]
    channels, height, width = reading.activations[unit.stage].shape
    for name, value, size in (("channel", unit.channel, channels), ("row", unit.row, height), ("col", unit.col, width)):
        if not 0 <= value < size:
            raise NoSuchUnit(f"unit.{name} must lie in 0..{size - 1} for {unit.stage}, got {value}")
    layer = model.layer(unit.stage)
    if not isinstance(layer, Conv2D):
        raise NoSuchUnit(f"unit.stage {unit.stage!r} is not a convolution of this model")
    g = layer.geometry
    x = reading.activations[previous.name]
    rows = unit.row * g.s - g.p + np.arange(g.k) * g.d
    cols = unit.col * g.s - g.p + np.arange(g.k) * g.d
    inside = ((rows >= 0) & (rows < x.shape[1]))[:, None] & ((cols >= 0) & (cols < x.shape[2]))[None, :]
    window = np.zeros((x.shape[0], g.k, g.k), x.dtype)
    r, c = np.nonzero(inside)
    window[:, r, c] = x[:, rows[r], cols[c]]
    kernel = layer.params["w"][unit.channel]
    bias = layer.params["b"][unit.channel]
    products = window * kernel
    subtotals = products.sum(axis=(1, 2), dtype=np.float64)
    engine = model.traced()
    return {
        "stage": unit.stage,
        "channel": unit.channel,
        "row": unit.row,
        "col": unit.col,
        "previous": previous.name,
        "rows": [int(rows[0]), int(rows[-1])],
        "cols": [int(cols[0]), int(cols[-1])],
        "padding": (~inside).tolist(),
        "window": window.tolist(),
        "kernel": kernel.tolist(),
        "products": products.tolist(),
        "subtotals": subtotals.tolist(),
        "bias": float(bias),
        "sum": float(subtotals.sum() + bias),
        "z": float(engine[unit.stage].output[0, unit.channel, unit.row, unit.col]),
        "value": float(reading.activations[unit.stage][unit.channel, unit.row, unit.col]),
    }


def stage_shapes(model: Sequential) -> dict[str, list[int]]:
    """Shape of every stage's values for one image, from a forward pass of zeros."""
    reading = read(weight_sharing_copy(model), np.zeros((28, 28), np.float32))
    return {name: list(values.shape) for name, values in reading.activations.items()}


def receptive_field_table(model: Sequential) -> dict[str, dict[str, dict]]:
    """For every spatial stage, its field in each earlier stage's units, from the engine's receptive_fields().

    table[later][earlier] = {size, jump, start, channels}: unit u of `later` reads units start + u·jump up to
    size − 1 further on of `earlier` along each axis (outside 0..n−1 is padding); channels is "same" when only
    pooling lies between them (a unit reads its own map) and "all" when a convolution mixes the maps.
    """
    names = [layer.name for layer in model.layers]
    table: dict[str, dict[str, dict]] = {}
    for earlier in (stage for stage in STAGES if stage.kind != "dense"):
        after = names.index(earlier.source) + 1 if earlier.source else 0
        fields = Sequential(model.layers[after:]).receptive_fields()
        for later in (stage for stage in STAGES[STAGES.index(earlier) + 1 :] if stage.source in fields):
            between = model.layers[after : names.index(later.source) + 1]
            mixes = any(isinstance(layer, Conv2D) for layer in between)
            field_ = fields[later.source]
            table.setdefault(later.name, {})[earlier.name] = {
                "size": field_.size,
                "jump": field_.jump,
                "start": field_.start,
                "channels": "all" if mixes else "same",
            }
    return table


def stage_geometry(model: Sequential, stage: Stage) -> dict | None:
    """k, s, p, d of the conv or pooling layer that made a stage (None for the input and dense stages)."""
    geometry = model.layer(stage.name).geometry if stage.kind in ("conv", "pool") else None
    return None if geometry is None else asdict(geometry)


def model_frame(model: Sequential, header: dict) -> bytes:
    """The binary `model` frame: stages with shapes, geometry and receptive fields, and the weights the page shows.

    Arrays: "<layer>.w" and "<layer>.b" for conv1, conv2, fc1, fc2, fc3. Conv kernels are exact float32
    (F, C, K, K); dense weights are one row per unit, (M, D), as bytes with a range per unit.
    """
    shapes = stage_shapes(model)
    stages = [
        {
            "name": stage.name,
            "kind": stage.kind,
            "caption": stage.caption,
            "shape": shapes[stage.name],
            "signed": stage.signed,
            "geometry": stage_geometry(model, stage),
            "weights": stage.name in PARAMETER_LAYERS,
        }
        for stage in STAGES
    ]
    arrays: dict[str, np.ndarray] = {}
    dense: set[str] = set()
    for name in PARAMETER_LAYERS:
        layer = model.layer(name)
        w = layer.params["w"]
        if isinstance(layer, Dense):
            w = w.T
            dense.add(f"{name}.w")
        arrays |= {f"{name}.w": w, f"{name}.b": layer.params["b"]}
    fields = {"type": "model", **header, "classes": CLASSES, "stages": stages, "fields": receptive_field_table(model)}
    return pack_frame(fields, arrays, u8=frozenset(dense))


@dataclass(frozen=True, eq=False)
class Lesson:
    """What a few SGD steps on one drawing did: the probabilities and loss before and after, the weights' moves."""

    label: int
    steps: int
    lr: float
    before: np.ndarray
    after: np.ndarray
    loss_before: float
    loss_after: float
    moved: list[Movement] = field(default_factory=list)


def teach(model: Sequential, image: np.ndarray, label: int, steps: int, lr: float) -> Lesson:
    """`steps` steps of plain SGD on softmax cross-entropy for (image, label) alone; updates model's weights in
    place."""
    x = image.reshape(1, 1, *image.shape)
    labels = np.array([label])
    start = {name: value.copy() for name, value in model.params().items()}
    before = model.forward(x)
    loss_before, _ = softmax_cross_entropy(before, labels)
    optimizer = SGD(lr)
    for _ in range(steps):
        _, dlogits = softmax_cross_entropy(model.forward(x), labels)
        model.backward(dlogits, input_grad=False)
        optimizer.step(model.params(), model.grads())
    after = model.forward(x)
    loss_after, _ = softmax_cross_entropy(after, labels)
    return Lesson(
        label,
        steps,
        lr,
        softmax(before)[0],
        softmax(after)[0],
        loss_before,
        loss_after,
        movements(start, model.params()),
    )


def movements(start: dict[str, np.ndarray], end: dict[str, np.ndarray]) -> list[Movement]:
    """Per parameter layer, the size of its parameters' change between two snapshots."""
    moved = []
    for layer in PARAMETER_LAYERS:
        keys = [key for key in start if key.split(".")[0] == layer]
        delta = np.concatenate([(end[key] - start[key]).ravel() for key in keys])
        before = np.concatenate([start[key].ravel() for key in keys])
        change, norm = float(np.linalg.norm(delta)), float(np.linalg.norm(before))
        moved.append(
            Movement(
                layer=layer,
                change=change,
                norm=norm,
                relative=change / norm if norm else 0.0,
                largest=float(np.abs(delta).max()),
            )
        )
    return moved


class LeNetSession:
    """One connection's LeNet-5: the shared weights until the student teaches it, then a private copy."""

    def __init__(self, shared: Sequential) -> None:
        self.shared = shared
        self.model = weight_sharing_copy(shared)
        self.taught_steps = 0

    @property
    def state(self) -> dict:
        """Which weights answer: "shared", or "taught" with the number of SGD steps taken on this connection."""
        return {"model": "taught" if self.taught_steps else "shared", "taught_steps": self.taught_steps}

    def draw(
        self,
        canvas: np.ndarray,
        mode: Preprocessing,
        explain: bool,
        target: int | None,
        seq: int,
        unit: Unit | None = None,
    ) -> bytes:
        """The prediction frame for a drawing: preprocessing, one traced forward pass, one backward when explaining,
        and the computation of `unit` (a conv unit the page zooms into) when asked. On the shared weights the same
        drawing and options are answered from the shared model's AnswerCache."""
        started = time.perf_counter()
        key = None if self.taught_steps else key_of(canvas, mode, explain, target, unit)
        cache = cache_of(self.shared)
        found = None if key is None else cache.get(key)
        if found is None:
            found = self.compute(canvas, mode, explain, target, unit)
            if key is not None:
                cache.put(key, found)
        prepared, reading, computation = found
        return prediction_frame(prepared, reading, self.header(seq, computation, started))

    def header(self, seq: int, unit: dict | None, started: float) -> dict:
        """A prediction frame's own header fields: the drawing's number, which weights answered, the unit's
        computation and the server's ms since `started` (time.perf_counter)."""
        return {"seq": seq, **self.state, "unit": unit, "server_ms": round((time.perf_counter() - started) * 1e3, 3)}

    def compute(
        self, canvas: np.ndarray, mode: Preprocessing, explain: bool, target: int | None, unit: Unit | None
    ) -> tuple[Prepared, Reading | None, dict | None]:
        """What a drawing's frame shows: the prepared drawing, its reading and the unit's computation (or None)."""
        prepared = prepare(canvas, mode)
        reading = None if prepared.image is None else read(self.model, prepared.image, explain, target)
        try:
            computation = None if reading is None or unit is None else unit_computation(self.model, reading, unit)
        finally:
            self.release()
        return prepared, reading, computation

    def release(self) -> None:
        """Drop the last pass's layer caches, trace and gradients once its frame is packed: a class of idle
        connections would otherwise hold about 0.4 MB each (benchmarks/classroom_load.py)."""
        self.model.trace = None
        for layer in self.model.layers:
            layer.cache, layer.grads = None, {}

    def teach(self, canvas: np.ndarray, mode: Preprocessing, label: int, steps: int, lr: float) -> Lesson:
        """SGD steps towards `label` on this drawing, on this connection's own copy of the weights."""
        prepared = prepare(canvas, mode)
        if prepared.image is None:
            raise NothingDrawn("draw a digit before teaching the network what it is")
        if not self.taught_steps:
            self.model = weight_sharing_copy(self.shared, private=True)
        lesson = teach(self.model, prepared.image, label, steps, lr)
        self.taught_steps += steps
        return lesson

    def reset(self) -> None:
        """Forget the lessons: back to the shared weights."""
        self.model = weight_sharing_copy(self.shared)
        self.taught_steps = 0

    def describe(self, header: dict) -> bytes:
        """The model frame for this connection's weights."""
        return model_frame(self.model, {**self.state, **header})
