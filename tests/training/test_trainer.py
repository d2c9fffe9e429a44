"""The trainer on real MNIST: a short run learns and saves loadable weights; Ctrl-C stops cleanly."""

from pathlib import Path

import numpy as np
import pytest

from app.data.mnist import Mnist
from app.models.lenet import ARCHITECTURE, lenet5, load_lenet5
from app.models.weights import save_weights
from app.training import trainer
from app.training.trainer import TrainConfig, confusion_matrix, learning_rate, train

TEST_SUBSET = 2000


def short_run(mnist: Mnist, output: Path, **changes) -> trainer.TrainingReport:
    """Two epochs of 50 steps each on a subset, evaluated on part of the test set."""
    config = TrainConfig(**{"epochs": 2, "limit": 3200, "batch_size": 64, "output": output, **changes})
    return train(
        config, mnist.train_images, mnist.train_labels, mnist.test_images[:TEST_SUBSET], mnist.test_labels[:TEST_SUBSET]
    )


def test_short_run_lowers_the_loss_and_writes_loadable_weights(mnist: Mnist, tmp_path: Path) -> None:
    report = short_run(mnist, tmp_path / "w.npz")
    first, second = report.epochs
    assert first.loss < np.log(10)  # already below a uniform guess after 50 steps
    assert second.loss < first.loss
    model, metadata = load_lenet5(tmp_path / "w.npz")
    assert metadata["report"]["best_epoch"] == report.best_epoch
    predictions = trainer.predict(model, mnist.test_images[:TEST_SUBSET])
    assert (predictions == mnist.test_labels[:TEST_SUBSET]).mean() == pytest.approx(report.test_accuracy)
    assert report.test_accuracy > 0.85


def test_report_breaks_down_the_best_epoch_by_class(mnist: Mnist, tmp_path: Path) -> None:
    report = short_run(mnist, tmp_path / "w.npz", epochs=1, augment=False)
    matrix = np.array(report.confusion_matrix)
    assert matrix.shape == (10, 10) and matrix.sum() == TEST_SUBSET
    assert np.trace(matrix) / TEST_SUBSET == pytest.approx(report.test_accuracy)
    assert len(report.per_class_accuracy) == 10


def test_ctrl_c_in_the_first_epoch_leaves_the_previous_file_intact(mnist: Mnist, tmp_path: Path, monkeypatch) -> None:
    output = tmp_path / "w.npz"
    save_weights(output, lenet5(np.random.default_rng(5)), ARCHITECTURE, {"previous": True})
    before = output.read_bytes()
    interrupt_after(monkeypatch, steps=10)
    report = short_run(mnist, output)
    assert report.interrupted and report.epochs == []
    assert output.read_bytes() == before


def test_ctrl_c_later_keeps_the_best_completed_epoch(mnist: Mnist, tmp_path: Path, monkeypatch) -> None:
    output = tmp_path / "w.npz"
    interrupt_after(monkeypatch, steps=60)  # 50 steps per epoch: stops in epoch 2
    report = short_run(mnist, output)
    assert report.interrupted and [e.epoch for e in report.epochs] == [1]
    _, metadata = load_lenet5(output)
    assert metadata["report"]["best_epoch"] == 1


def test_learning_rate_decays_along_a_cosine_to_one_percent() -> None:
    config = TrainConfig(lr=0.1)
    assert learning_rate(config, 0, 100) == pytest.approx(0.1)
    assert learning_rate(config, 50, 100) == pytest.approx(0.1 * (0.01 + 0.99 * 0.5))
    assert learning_rate(config, 100, 100) == pytest.approx(0.001)


def test_confusion_matrix_counts_true_by_predicted() -> None:
    matrix = confusion_matrix(np.array([0, 1, 1, 2], dtype=np.uint8), np.array([0, 1, 2, 2]))
    assert matrix[1, 2] == 1 and matrix[1, 1] == 1 and np.trace(matrix) == 3


def interrupt_after(monkeypatch: pytest.MonkeyPatch, steps: int) -> None:
    """Make the trainer's loss raise KeyboardInterrupt on its (steps + 1)-th call, as Ctrl-C would."""
    calls = {"n": 0}
    real = trainer.softmax_cross_entropy

    def loss(logits, labels):
        calls["n"] += 1
        if calls["n"] > steps:
            raise KeyboardInterrupt
        return real(logits, labels)

    monkeypatch.setattr(trainer, "softmax_cross_entropy", loss)
