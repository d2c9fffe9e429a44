"""Shared fixtures for the engine tests (tests/nn).

No global random state: every test draws from its own ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator per test (results do not depend on test order)."""
    return np.random.default_rng(20240601)
