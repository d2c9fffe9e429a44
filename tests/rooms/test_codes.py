"""Join codes and teacher secrets."""

from app.rooms.codes import (
    ALPHABET,
    CODE_LENGTH,
    digest,
    is_code,
    new_code,
    new_member,
    new_secret,
    normal_code,
    secret_matches,
)


def test_codes_are_short_and_use_no_look_alike_characters() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) > 1990  # random, not a sequence
    assert all(len(code) == CODE_LENGTH and is_code(code) for code in codes)
    assert not set("".join(codes)) & set("01OIL")
    assert set("".join(codes)) <= set(ALPHABET)


def test_what_students_type_is_normalised() -> None:
    assert normal_code(" k7q-x2m ") == "K7QX2M"
    assert is_code(normal_code("k7qx2m"))
    assert not is_code("K7QX2")  # too short
    assert not is_code("K7QX2O")  # O is not in the alphabet
    assert not is_code("")


def test_secrets_are_long_random_and_only_their_digest_is_kept() -> None:
    secret = new_secret()
    assert len(secret) >= 32 and secret != new_secret()
    stored = digest(secret)
    assert secret not in stored and len(stored) == 64
    assert secret_matches(secret, stored)
    assert not secret_matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), stored)
    assert not secret_matches("", stored)


def test_member_ids_match_the_join_message_pattern() -> None:
    member = new_member()
    assert member.startswith("m") and len(member) == 25 and member != new_member()
