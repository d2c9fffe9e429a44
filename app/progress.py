"""A plain-text progress bar on stderr for long commands (downloads, training epochs); no dependency.

On a terminal it redraws one line in place; elsewhere (CI logs, pipes) it writes only the finished line.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30
REDRAW_EVERY_S = 0.1


class Progress:
    """Progress of `done` out of `total` units, with a label and extra fields such as the loss."""

    def __init__(self, total: int, label: str, unit: str = "", stream: TextIO | None = None) -> None:
        self.total, self.label, self.unit = max(total, 1), label, unit
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.done = 0
        self.fields = ""
        self.last_draw = 0.0

    def update(self, done: int, **fields: str) -> None:
        """Record progress; redraw at most every REDRAW_EVERY_S seconds on a terminal."""
        self.done = done
        self.fields = "  ".join(f"{k.replace('_', ' ')} {v}" for k, v in fields.items())
        now = time.monotonic()
        if self.live and now - self.last_draw >= REDRAW_EVERY_S:
            self.last_draw = now
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def close(self) -> None:
        """Write the final state of the bar on its own line."""
        self.stream.write(("\r" if self.live else "") + self.line() + "\n")
        self.stream.flush()

    def line(self) -> str:
        """The bar as text: label, bar, count, fields."""
        filled = WIDTH * min(self.done, self.total) // self.total
        count = f"{self.done:,}/{self.total:,}{(' ' + self.unit) if self.unit else ''}"
        return f"{self.label} [{'#' * filled}{'.' * (WIDTH - filled)}] {count}  {self.fields}".rstrip()
