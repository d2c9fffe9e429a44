"""Kernels, live: a feature map we choose beside a hidden layer that learns one, on the same points.

- `state_frame` turns the page's points, its feature map φ and its kernel SVM into the kernels_state frame: the
  points lifted into φ-space with the plane the linear SVM finds there (app/kernels/features.py), that plane's
  preimage back in the plane (f = w·φ(x) + b over a grid, and its zero level as segments), the kernel SVM's
  decision surface with its boundary and margins f = ±1, its αᵢ and support vectors, and the kernel matrix K.
- `NetRun` is the XOR page's 2-2-1 sigmoid network (app/models/xor.py) trained with the same engine, loss and
  SGD on the page's points; `net_frame` shows its output over the plane and each point's hidden coordinates
  (z₁, z₂): the feature map it learned.
- `KernelsConversation` is one connection's side of /ws/kernels: it keeps the points and the choices, answers
  every request with a state frame, and streams the network's training after it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from app.kernels.contours import contour
from app.kernels.datasets import BOXES, DatasetName, make_dataset
from app.kernels.features import coordinate_names, fit_lifted, plane_polygon, view
from app.kernels.kernels import Kernel
from app.kernels.svm import SVMError, fit
from app.models.xor import SlideModel, network
from app.nn import SGD, squared_error
from app.services.plane import HIDDEN_BOX, grid_points, line_in_box
from app.services.xor import DEFAULT_LR, HIDDEN_GRID, output_part
from app.settings import Settings
from app.wire.frames import pack_frame
from app.wire.kernels import (
    FeatureState,
    KernelsFeature,
    KernelsNetHeader,
    KernelsRequest,
    KernelsStateHeader,
    KernelsSvm,
    SvmState,
)
from app.wire.limits import at_most, within
from app.wire.protocol import Problem, Reply

SCALE = (-2.0, 2.0)  # f's colour scale: the margin f = ±1 sits halfway to each end
VIEW_MARGIN = 0.08  # the 3-D view's box reaches this fraction of each axis's span beyond the points
NET_FRAME_STEPS = 100  # SGD steps of the network between two streamed frames

DEFAULT_FEATURE = KernelsFeature(type="kernels_feature", feature="product", degree=2)
DEFAULT_SVM = KernelsSvm(type="kernels_svm", kernel="poly", C=10.0, gamma=1.0, degree=2, coef0=1.0)


def view_box(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 3-D view's box around points (n, 3): each axis's range with a margin; a flat axis gets [−1, 1]."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = hi - lo
    flat = span < 1e-9
    lo, hi = np.where(flat, lo - 1, lo - VIEW_MARGIN * span), np.where(flat, hi + 1, hi + VIEW_MARGIN * span)
    return lo, hi


def state_frame(
    dataset: DatasetName,
    points: np.ndarray,
    labels: np.ndarray,
    feature: KernelsFeature,
    svm_choice: KernelsSvm,
    settings: Settings,
) -> bytes:
    """The kernels_state binary frame: φ's plane and its preimage, the kernel SVM and K, for points (n, 2) with
    labels (n,) in {0, 1}."""
    box, size, y = BOXES[dataset], settings.kernels_grid, 2 * labels - 1
    grid = grid_points(size, box)
    try:
        separator = fit_lifted(
            feature.feature, points, labels, svm_choice.C, feature.degree, settings.kernels_max_iterations
        )
        kernel = Kernel(svm_choice.kernel, svm_choice.gamma, svm_choice.degree, svm_choice.coef0)
        svm = fit(
            points,
            labels,
            kernel,
            svm_choice.C,
            max_iter=settings.kernels_max_iterations,
            max_points=settings.kernels_max_points,
            max_degree=settings.kernels_max_degree,
        )
    except SVMError as error:
        raise Problem("bad_value", str(error)) from None
    picture = view(separator, points)
    lo, hi = view_box(picture.points)
    feature_surface = separator.decision(grid).reshape(size, size)
    svm_surface = svm.decision(grid).reshape(size, size)
    decision, gram = svm.decision(points), kernel(points, points)
    header = KernelsStateHeader(
        dataset=dataset,
        box=box,
        size=size,
        scale=SCALE,
        count=len(points),
        classes=(int(np.sum(labels == 0)), int(np.sum(labels == 1))),
        feature=FeatureState(
            feature=feature.feature,
            degree=feature.degree,
            names=coordinate_names(feature.feature, feature.degree),
            w=[float(v) for v in separator.w],
            b=separator.b,
            axes=picture.axes,
            normal=(float(picture.normal[0]), float(picture.normal[1]), float(picture.normal[2])),
            view_lo=(float(lo[0]), float(lo[1]), float(lo[2])),
            view_hi=(float(hi[0]), float(hi[1]), float(hi[2])),
            support=len(separator.svm.support),
            errors=int(np.sum(np.sign(separator.decision(points)) != y)),
            converged=separator.svm.converged,
        ),
        svm=SvmState(
            kernel=svm_choice.kernel,
            C=svm_choice.C,
            gamma=svm_choice.gamma,
            degree=svm_choice.degree,
            coef0=svm_choice.coef0,
            b=svm.b,
            support=[int(i) for i in svm.support],
            dual_objective=svm.dual_objective,
            errors=int(np.sum(np.sign(decision) != y)),
            iterations=svm.iterations,
            converged=svm.converged,
        ),
        gram_range=(float(gram.min()), float(gram.max())),
    )
    arrays = {
        "points": points,
        "labels": labels,
        "lifted": picture.points,
        "plane": plane_polygon(picture.normal, picture.b, lo, hi),
        "feature_surface": feature_surface,
        "svm_surface": svm_surface,
        "decision": decision,
        "alpha": svm.alpha,
        "gram": gram.reshape(1, *gram.shape),  # one map: one lo/hi for the whole matrix
        "feature_boundary": contour(feature_surface, box, 0.0),
        "svm_boundary": contour(svm_surface, box, 0.0),
        "svm_margin_plus": contour(svm_surface, box, 1.0),
        "svm_margin_minus": contour(svm_surface, box, -1.0),
    }
    return pack_frame(header.model_dump(), arrays, u8=frozenset({"gram"}))


@dataclass
class NetRun:
    """The 2-2-1 network learning the page's points with full-batch SGD, for a fixed number of steps."""

    steps: int
    seed: int = 0
    lr: float = DEFAULT_LR
    step: int = 0
    net: SlideModel = field(init=False)

    def __post_init__(self) -> None:
        self.reset(self.seed)

    def reset(self, seed: int) -> None:
        """Fresh initial weights from seed (the XOR page's), back to step 0."""
        self.seed, self.step, self.net = seed, 0, network(seed)

    @property
    def running(self) -> bool:
        """Whether the run has steps left."""
        return self.step < self.steps

    def train(self, points: np.ndarray, labels: np.ndarray, count: int) -> None:
        """Up to count SGD steps (never past the run's length) on l = mean (y − ŷ)² over points (n, 2)."""
        model, targets = self.net.model, labels[:, None].astype(np.float64)
        optimiser = SGD(self.lr)
        for _ in range(min(count, self.steps - self.step)):
            _, dout = squared_error(model.forward(points), targets)
            model.backward(dout, input_grad=False)
            optimiser.step(model.params(), model.grads())
            self.step += 1


def net_frame(run: NetRun, dataset: DatasetName, points: np.ndarray, labels: np.ndarray, size: int) -> bytes:
    """The kernels_net binary frame: ŷ over the plane with its level ŷ = 0.5, the points' hidden coordinates and ŷ
    over the hidden square."""
    model, box = run.net.model, BOXES[dataset]
    yhat = model.forward(points, trace=True)[:, 0]
    hidden = model.traced()["sigma1"].output
    loss, _ = squared_error(yhat[:, None], labels[:, None].astype(np.float64))
    params = run.net.values()
    header = KernelsNetHeader(
        seed=run.seed,
        lr=run.lr,
        step=run.step,
        steps=run.steps,
        running=run.running,
        loss=loss,
        errors=int(np.sum((yhat > 0.5) != (labels == 1))),
        box=box,
        size=size,
        hidden_box=HIDDEN_BOX,
        hidden_size=HIDDEN_GRID,
        hidden_line=line_in_box(params["w5"], params["w6"], params["b3"], HIDDEN_BOX),
    )
    surface = model.forward(grid_points(size, box)).reshape(size, size)
    arrays = {
        "surface": surface,
        "boundary": contour(surface, box, 0.5),
        "hidden": hidden,
        "hidden_surface": output_part(model)
        .forward(grid_points(HIDDEN_GRID, HIDDEN_BOX))
        .reshape(HIDDEN_GRID, HIDDEN_GRID),
    }
    return pack_frame(header.model_dump(), arrays)


class KernelsConversation:
    """One connection to /ws/kernels: its points, feature map and SVM, and its own 2-2-1 network."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dataset: DatasetName = "xor"
        self.points, self.labels = make_dataset("xor", 4, 0.0, seed=0)
        self.feature, self.svm = DEFAULT_FEATURE, DEFAULT_SVM
        self.run = NetRun(settings.kernels_net_steps)

    def handle(self, message: KernelsRequest) -> list[Reply] | Iterator[Reply]:
        """Answer message with a state frame; while the network has steps left, stream its training after it."""
        replies = self.answer(message)
        if self.run.running:
            return itertools.chain(replies, self.stream())
        return replies

    def answer(self, message: KernelsRequest) -> list[Reply]:
        """Apply one request (checked against the settings' limits) and the replies it gets at once."""
        if message.type == "kernels_train":
            self.run.reset(message.seed)
            return [self.net()]
        if message.type == "kernels_feature":
            at_most("degree", message.degree, "kernels_max_degree", self.settings)
            self.feature = message
            return [self.state()]
        if message.type == "kernels_svm":
            at_most("C", message.C, "kernels_max_c", self.settings)
            at_most("gamma", message.gamma, "kernels_max_gamma", self.settings)
            at_most("degree", message.degree, "kernels_max_degree", self.settings)
            within("coef0", message.coef0, "kernels_max_coef0", self.settings)
            self.svm = message
            return [self.state()]
        if message.type == "kernels_dataset":
            at_most("size", message.size, "kernels_max_points", self.settings)
            self.dataset = message.name
            self.points, self.labels = make_dataset(message.name, message.size, message.noise, message.seed)
        elif message.type == "kernels_add":
            self.add(message.x1, message.x2, message.label)
        else:
            self.remove(message.index)
        self.run.reset(self.run.seed)
        return [self.state(), self.net()]

    def add(self, x1: float, x2: float, label: int) -> None:
        """Add a point inside the set's box, up to the point limit."""
        at_most("points", len(self.points) + 1, "kernels_max_points", self.settings)
        lo, hi = BOXES[self.dataset]
        for name, value in (("x1", x1), ("x2", x2)):
            if not lo <= value <= hi:
                raise Problem("bad_value", f"{name} = {value:g} is outside the plane, which runs from {lo:g} to {hi:g}")
        self.points = np.vstack([self.points, [[x1, x2]]])
        self.labels = np.append(self.labels, label)

    def remove(self, index: int) -> None:
        """Remove the point at index, unless it is the last of its class."""
        if index >= len(self.points):
            raise Problem("bad_value", f"index {index} is not a point: there are {len(self.points)}, from 0")
        label = int(self.labels[index])
        if np.sum(self.labels == label) == 1:
            raise Problem("impossible", f"point {index} is the last of class {label}: the SVM needs both classes")
        self.points, self.labels = np.delete(self.points, index, axis=0), np.delete(self.labels, index)

    def state(self) -> bytes:
        """The current kernels_state frame."""
        return state_frame(self.dataset, self.points, self.labels, self.feature, self.svm, self.settings)

    def net(self) -> bytes:
        """The network's current kernels_net frame."""
        return net_frame(self.run, self.dataset, self.points, self.labels, self.settings.kernels_grid)

    def stream(self) -> Iterator[Reply]:
        """A kernels_net frame every NET_FRAME_STEPS steps until the run's end (or a newer request)."""
        while self.run.running:
            self.run.train(self.points, self.labels, NET_FRAME_STEPS)
            yield self.net()
