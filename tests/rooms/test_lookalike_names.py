"""A name written with Cyrillic or Greek letters that look Latin is the same name as the Latin one, so it cannot
pass for another student: it gets the next free number instead."""

import unicodedata

import pytest

from app.rooms.session import free_name
from app.wire.room import LOOK_ALIKES, name_key


@pytest.mark.parametrize("look_alike", ["\u0410na", "An\u0430", "\u0391NA", "\u0430n\u0430"])
def test_a_look_alike_of_a_taken_name_gets_a_number(look_alike: str) -> None:
    assert name_key(look_alike) == name_key("Ana")
    assert free_name(look_alike, {name_key("Ana")}) == f"{look_alike} (2)"


def test_names_that_only_share_letters_stay_apart() -> None:
    assert name_key("\u041dаnа") != name_key("Ana")  # Cyrillic Н looks like H, not A
    assert free_name("Ann", {name_key("Ana")}) == "Ann"


def test_every_look_alike_is_a_cyrillic_or_greek_letter_mapped_to_a_latin_one() -> None:
    for source, target in LOOK_ALIKES.items():
        assert unicodedata.name(chr(source)).split()[0] in {"CYRILLIC", "GREEK"}
        assert unicodedata.name(chr(target)).startswith("LATIN")
