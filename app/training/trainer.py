"""Training LeNet-5 on MNIST with app.nn: minibatch steps with a cosine learning-rate schedule, test accuracy
after every epoch, the best weights kept on disk, and Ctrl-C that stops cleanly.
"""

from __future__ import annotations

import logging
import math
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from app.models.lenet import ARCHITECTURE, lenet5
from app.models.weights import save_weights
from app.nn import OPTIMIZERS, SGD, Adam, Sequential, softmax_cross_entropy
from app.progress import Progress
from app.training.augment import augment

logger = logging.getLogger(__name__)

CLASSES = 10
EVAL_BATCH = 1000
FINAL_LR_FRACTION = 0.01  # the cosine schedule ends at this fraction of the initial learning rate


@dataclass(frozen=True)
class TrainConfig:
    """What a training run is told; the defaults are the recipe of the shipped weights."""

    epochs: int = 15
    batch_size: int = 64
    lr: float = 2e-3
    optimizer: str = "adam"
    seed: int = 0
    augment: bool = True
    output: Path = Path("lenet5.npz")
    limit: int | None = None  # train on the first `limit` images only (quick runs and tests)


@dataclass
class EpochResult:
    """One epoch's figures."""

    epoch: int
    loss: float
    train_accuracy: float
    test_accuracy: float
    seconds: float
    images_per_s: float


@dataclass
class TrainingReport:
    """Everything a run reports: its settings, every epoch, and the best epoch's test-set breakdown."""

    config: dict
    command: str
    epochs: list[EpochResult] = field(default_factory=list)
    best_epoch: int | None = None
    test_accuracy: float | None = None
    per_class_accuracy: list[float] = field(default_factory=list)
    confusion_matrix: list[list[int]] = field(default_factory=list)
    interrupted: bool = False
    machine: dict = field(default_factory=lambda: {"python": platform.python_version(), "numpy": np.__version__})

    def to_dict(self) -> dict:
        """The report as JSON-ready data."""
        return asdict(self)


def as_input(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) to the network's input: float32 (N, 1, 28, 28), ink high in [0, 1]."""
    return (images.astype(np.float32) / 255.0)[:, None]


def predict(model: Sequential, images: np.ndarray) -> np.ndarray:
    """Predicted class of every uint8 image, in batches."""
    return np.concatenate(
        [model.forward(as_input(images[i : i + EVAL_BATCH])).argmax(axis=1) for i in range(0, len(images), EVAL_BATCH)]
    )


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """counts[true, predicted] over CLASSES classes."""
    return np.bincount(labels.astype(np.intp) * CLASSES + predictions, minlength=CLASSES * CLASSES).reshape(
        CLASSES, CLASSES
    )


def learning_rate(config: TrainConfig, step: int, total_steps: int) -> float:
    """Cosine decay from config.lr to FINAL_LR_FRACTION · config.lr over the whole run."""
    cosine = 0.5 * (1 + math.cos(math.pi * step / max(total_steps, 1)))
    return config.lr * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * cosine)


def train_epoch(
    model: Sequential,
    optimizer: SGD | Adam,
    config: TrainConfig,
    images: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    epoch: int,
) -> tuple[float, float]:
    """One pass over the shuffled training images in minibatches; returns the mean loss and the accuracy."""
    n = len(images)
    steps = math.ceil(n / config.batch_size)
    progress = Progress(n, f"epoch {epoch}/{config.epochs}", "images")
    start, seen, correct, loss_sum = time.perf_counter(), 0, 0, 0.0
    try:
        for step, batch in enumerate(np.array_split(rng.permutation(n), steps)):
            optimizer.lr = learning_rate(config, (epoch - 1) * steps + step, config.epochs * steps)
            x = as_input(images[batch])
            if config.augment:
                x = augment(x[:, 0], rng)[:, None]
            logits = model.forward(x)
            loss, dlogits = softmax_cross_entropy(logits, labels[batch])
            model.backward(dlogits, input_grad=False)
            optimizer.step(model.params(), model.grads())
            seen += len(batch)
            correct += int((logits.argmax(axis=1) == labels[batch]).sum())
            loss_sum += loss * len(batch)
            speed = seen / (time.perf_counter() - start)
            progress.update(
                seen, loss=f"{loss_sum / seen:.4f}", acc=f"{100 * correct / seen:.2f}%", speed=f"{speed:,.0f} img/s"
            )
    finally:
        progress.close()
    return loss_sum / seen, correct / seen


def train(
    config: TrainConfig,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    command: str = "",
) -> TrainingReport:
    """Train a fresh LeNet-5; after each epoch evaluate on the test set and save the best weights so far.

    Ctrl-C stops at once: the output file keeps the best completed epoch's weights (or, before the first
    epoch ends, stays as it was), and the report says it was interrupted.
    """
    rng = np.random.default_rng(config.seed)
    model = lenet5(rng)
    optimizer = OPTIMIZERS[config.optimizer](lr=config.lr)
    if config.limit is not None:
        train_images, train_labels = train_images[: config.limit], train_labels[: config.limit]
    report = TrainingReport(config={**asdict(config), "output": str(config.output)}, command=command)
    for epoch in range(1, config.epochs + 1):
        start = time.perf_counter()
        try:
            loss, train_accuracy = train_epoch(model, optimizer, config, train_images, train_labels, rng, epoch)
        except KeyboardInterrupt:
            report.interrupted = True
            kept = f"the best weights so far (epoch {report.best_epoch})" if report.best_epoch else "the file as it was"
            logger.warning("interrupted in epoch %d: %s keeps %s", epoch, config.output, kept)
            break
        seconds = time.perf_counter() - start
        predictions = predict(model, test_images)
        accuracy = float((predictions == test_labels).mean())
        result = EpochResult(epoch, loss, train_accuracy, accuracy, seconds, len(train_images) / seconds)
        report.epochs.append(result)
        logger.info("epoch %d: test accuracy %.2f%% (%.1f s)", epoch, 100 * accuracy, seconds)
        if report.test_accuracy is None or accuracy > report.test_accuracy:
            record_best(report, result, test_labels, predictions)
            save_weights(config.output, model, ARCHITECTURE, {"report": report.to_dict()})
            logger.info("saved the best weights so far to %s", config.output)
    return report


def record_best(report: TrainingReport, result: EpochResult, labels: np.ndarray, predictions: np.ndarray) -> None:
    """Put the best epoch's test accuracy, per-class accuracy and confusion matrix in the report."""
    matrix = confusion_matrix(labels, predictions)
    report.best_epoch, report.test_accuracy = result.epoch, result.test_accuracy
    report.per_class_accuracy = (matrix.diagonal() / np.maximum(matrix.sum(axis=1), 1)).round(4).tolist()
    report.confusion_matrix = matrix.tolist()
