"""Checks of request values against the limits a server operator sets (app/settings.py).

Pydantic schemas hold the bounds that never change (choices, indices); these hold the ones that are settings,
and refuse a value with an error whose sentence names the limit and the variable that sets it.
"""

from __future__ import annotations

import numpy as np

from app.settings import Settings
from app.wire.protocol import Problem


def at_most(field: str, value: float, setting: str, settings: Settings) -> None:
    """Refuse value when it is above the setting's limit."""
    limit = getattr(settings, setting)
    if value > limit:
        where = Settings.env_var(setting)
        raise Problem("bad_value", f"{field} must be at most {limit:g} on this server ({where}), got {value:g}")


def within(field: str, value: float, setting: str, settings: Settings) -> None:
    """Refuse value when its magnitude is above the setting's limit."""
    limit = getattr(settings, setting)
    if abs(value) > limit:
        where = Settings.env_var(setting)
        raise Problem(
            "bad_value", f"{field} must be between −{limit:g} and {limit:g} on this server ({where}), got {value:g}"
        )


def check_canvas(canvas: np.ndarray, settings: Settings) -> None:
    """Refuse a drawing larger than the lenet_max_canvas setting (bad_shape)."""
    side = settings.lenet_max_canvas
    if max(canvas.shape) > side:
        raise Problem(
            "bad_shape",
            f"canvas is {canvas.shape[0]}×{canvas.shape[1]} pixels; at most {side}×{side} "
            f"on this server ({Settings.env_var('lenet_max_canvas')})",
        )
