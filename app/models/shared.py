"""The networks the server shares between all connections, loaded once at start-up."""

import logging
from dataclasses import dataclass
from pathlib import Path

from app.models.lenet import SHIPPED_WEIGHTS, load_lenet5
from app.models.weights import WeightsError
from app.nn import Sequential

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SharedModel:
    """A loaded network with its metadata, or the reason it could not be loaded (then model is None)."""

    model: Sequential | None
    metadata: dict
    error: str | None = None


def load_shared_lenet(path: Path) -> SharedModel:
    """LeNet-5 from path; missing or corrupt weights give an error saying how to train or restore them."""
    try:
        model, metadata = load_lenet5(path)
    except WeightsError as exc:
        restore = (
            "reinstall backprop-lab to restore the shipped weights"
            if Path(path) == SHIPPED_WEIGHTS
            else f"point BACKPROP_LAB_WEIGHTS at a valid file (the shipped one is {SHIPPED_WEIGHTS})"
        )
        error = (
            f"LeNet-5 weights unusable: {exc}. Train new ones with `backprop-lab train --output {path}`, or {restore}."
        )
        logger.error(error)
        return SharedModel(None, {}, error)
    logger.info("loaded LeNet-5 weights from %s", path)
    return SharedModel(model, metadata)
