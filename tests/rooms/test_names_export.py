"""Student names (normalised, refused when they hide characters, unique within a room) and the gallery's CSV,
whose text cells a spreadsheet must never evaluate."""

import base64
import csv
import io
import zipfile

import pytest
from pydantic import ValidationError

from app.rooms.export import cell, gallery_zip
from app.rooms.session import free_name
from app.wire.room import ROOM_REQUESTS, clean_name


@pytest.mark.parametrize(
    "raw, name",
    [
        ("Ana", "Ana"),
        ("  Ana   Lopez ", "Ana Lopez"),
        ("Ａｎａ", "Ana"),  # full-width
        ("ﬁona", "fiona"),  # a ligature
        ("Zoë", "Zoë"),
        ("José\u0301"[:4] + "e\u0301", "Josée"[:4] + "é"),  # combining accents compose
        ("=1+1", "=1+1"),  # kept as typed; the CSV neutralises it
        ("", ""),
    ],
)
def test_names_are_normalised(raw: str, name: str) -> None:
    assert clean_name(raw) == name


@pytest.mark.parametrize(
    "raw",
    [
        "Ana\u202e",  # right-to-left override
        "\u2067Ana",  # right-to-left isolate
        "A\u200bna",  # zero-width space
        "A\u200dna",  # zero-width joiner
        "An\ufeffa",  # zero-width no-break space
        "Ana\u00ad",  # soft hyphen
        "Ana\u0000",
        "Ana\n",
        "Ana\u2028",  # line separator
        "\u3164",  # Hangul filler
        "\u2800",  # braille blank
        "\ue000",  # private use
        "<script>",
        "A" * 25,
    ],
)
def test_hiding_or_overlong_names_are_refused_with_a_sentence(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ROOM_REQUESTS.validate_python({"type": "join", "code": "ABCDEF", "name": raw})
    error = refused.value.errors()[0]
    assert error["type"] == "bad_value" and error["loc"][-1] == "name" and len(error["msg"].split()) > 5


def test_a_taken_name_gets_the_next_free_number() -> None:
    assert free_name("Ana", set()) == "Ana"
    assert free_name("Ana", {"ana"}) == "Ana (2)"
    assert free_name("Ana", {"ana", "ana (2)", "ana (3)"}) == "Ana (4)"
    long = "B" * 24
    assert free_name(long, {long.casefold()}) == "B" * 20 + " (2)"


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil","x")', "+1", "-1", "@A1", "\tx", "\rx"])
def test_formula_leading_cells_are_text(text: str) -> None:
    assert cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ada", "a=b", "", 3, -0.25, 1.0])
def test_other_cells_are_unchanged(value: object) -> None:
    assert cell(value) == value


def test_the_exported_csv_neutralises_every_text_cell() -> None:
    submission = {
        "id": 1,
        "at": 0.0,
        "name": "=cmd|' /C calc'!A0",
        "tag": None,
        "prediction": 1,
        "confidence": 0.9,
        "probabilities": [0.1] * 10,
        "pixels": base64.b64encode(bytes(784)).decode(),
    }
    archive = zipfile.ZipFile(io.BytesIO(gallery_zip("ABCDEF", [submission])))
    rows = list(csv.reader(io.StringIO(archive.read("submissions.csv").decode())))
    assert rows[1][3] == "'=cmd|' /C calc'!A0"
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row)
