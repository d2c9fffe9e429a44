"""A room's gallery as a zip: one PNG per drawing (the 28×28 image LeNet read, ink white on black as in MNIST)
and submissions.csv with what the network answered and what the student meant."""

from __future__ import annotations

import base64
import csv
import io
import zipfile
from datetime import UTC, datetime

import numpy as np

from app.models.lenet import CLASSES
from app.services.images import encode_png

SIDE = 28
COLUMNS = [
    "id",
    "file",
    "submitted_at",
    "author",
    "tag",
    "prediction",
    "confidence",
    *(f"p{digit}" for digit in range(CLASSES)),
]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula (OWASP)


def cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: a string starting like a formula gets a leading single quote, as
    OWASP's "CSV injection" advises, so a name such as =HYPERLINK(...) is never evaluated; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def drawing(submission: dict) -> np.ndarray:
    """The submission's 28×28 image as uint8 ink levels."""
    return np.frombuffer(base64.b64decode(submission["pixels"]), np.uint8).reshape(SIDE, SIDE)


def file_name(submission: dict) -> str:
    return f"drawings/{submission['id']:04d}-read-as-{submission['prediction']}.png"


def gallery_zip(code: str, gallery: list[dict]) -> bytes:
    """The zip of a room's gallery; authors are the names students gave (empty when none), every text cell
    neutralised for spreadsheets (`cell`)."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(COLUMNS)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in gallery:
            archive.writestr(file_name(item), encode_png(drawing(item)))
            when = datetime.fromtimestamp(item["at"], UTC).isoformat(timespec="seconds")
            tag = "" if item.get("tag") is None else item["tag"]
            row = [
                item["id"],
                file_name(item),
                when,
                item.get("name", ""),
                tag,
                item["prediction"],
                item["confidence"],
                *item["probabilities"],
            ]
            writer.writerow([cell(value) for value in row])
        archive.writestr("submissions.csv", table.getvalue())
        archive.writestr(
            "README.txt",
            f"Drawings sent to backprop-lab room {code}: each PNG is the 28x28 image "
            "LeNet-5 read (white ink on black, as in MNIST); submissions.csv lists what "
            "it predicted, with the probability of each digit, and the digit the student "
            "meant (tag, when given).\n",
        )
    return buffer.getvalue()
