"""Max pooling's winners: where each window's largest value sits, the only cells its backward pass feeds."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.nn import MaxPool2D
from app.nn.pool import max_pool2d_backward, max_pool2d_forward, max_pool2d_winners


def test_winners_of_a_small_map_by_hand() -> None:
    x = np.array([[[[1, 5, 0, 2], [3, 4, 7, 1], [9, 0, 6, 6], [2, 8, 6, 6]]]], dtype=np.float64)
    _, cache = max_pool2d_forward(x, 2)
    winners = max_pool2d_winners(cache)
    assert winners.shape == (1, 1, 2, 2, 2)
    # window (0, 0) holds 1 5 / 3 4: 5 at (0, 1); (0, 1): 7 at (1, 2); (1, 0): 9 at (2, 0); (1, 1): four 6s, the first
    assert winners[0, 0].tolist() == [[[0, 1], [1, 2]], [[2, 0], [2, 2]]]


@given(
    c=st.integers(1, 3),
    h=st.integers(2, 9),
    k=st.integers(1, 3),
    s=st.integers(1, 3),
    p=st.integers(0, 1),
    seed=st.integers(0, 2**16),
)
@settings(max_examples=40, deadline=None)
def test_winners_hold_each_windows_maximum_and_are_the_only_cells_backward_feeds(c, h, k, s, p, seed) -> None:
    assume(p <= k // 2 and k <= h + 2 * p)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, c, h, h))
    out, cache = max_pool2d_forward(x, k, s, p)
    winners = max_pool2d_winners(cache)
    n_, c_, y, x_ = np.indices(out.shape)
    rows, cols = winners[..., 0], winners[..., 1]
    assert ((rows >= 0) & (rows < h) & (cols >= 0) & (cols < h)).all()
    np.testing.assert_array_equal(x[n_, c_, rows, cols], out)
    dx = max_pool2d_backward(np.ones_like(out), cache)
    fed = np.zeros(x.shape, bool)
    fed[n_, c_, rows, cols] = True
    assert (dx[~fed] == 0).all() and (dx[fed] > 0).all()


def test_the_layer_reads_its_last_forward_pass() -> None:
    layer = MaxPool2D(2)
    with pytest.raises(RuntimeError, match="no forward pass"):
        layer.winners()
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    layer.forward(x)
    assert layer.winners()[0, 0].tolist() == [[[1, 1], [1, 3]], [[3, 1], [3, 3]]]
