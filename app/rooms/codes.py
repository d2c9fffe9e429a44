"""Join codes students type and the teacher's secret: short and unambiguous versus long and unguessable.

A secret is stored only as its SHA-256 digest and compared in constant time, so neither the store nor a log
ever holds it, and a wrong guess takes as long as a right one.
"""

import hashlib
import hmac
import re
import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read off a projector without mistakes
CODE_LENGTH = 6
MEMBER = re.compile(r"m[0-9a-f]{24}")


def new_code() -> str:
    """A random join code, e.g. 'K7QX2M' (31⁶ ≈ 890 million codes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str) -> str:
    """What a student typed, as a code: upper case, spaces and dashes dropped."""
    return re.sub(r"[\s\-]", "", text).upper()


def is_code(text: str) -> bool:
    """Whether text could be a join code at all (right length, right letters)."""
    return len(text) == CODE_LENGTH and all(char in ALPHABET for char in text)


def new_secret() -> str:
    """The teacher's secret: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def digest(secret: str) -> str:
    """The form a secret is stored in."""
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_digest: str) -> bool:
    """Whether secret is the one whose digest is stored, in time that does not depend on where they differ."""
    return hmac.compare_digest(digest(secret), stored_digest)


def new_member() -> str:
    """An anonymous member id for one student's browser tab (kept across its reconnects)."""
    return "m" + secrets.token_hex(12)


def address_key(address: str) -> str:
    """How a room's records name a client address (what its members and drawings count against): a short digest,
    so the store (a file on disk, by default) never holds students' addresses."""
    return hashlib.sha256(f"backprop-lab address {address}".encode()).hexdigest()[:16]
