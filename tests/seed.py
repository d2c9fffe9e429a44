"""The recitation's worked convolution example (the 7×7 image, the 3×3 kernel and its two outputs), stated once
for every test that checks against it: engine, walkthrough service, websocket and browser."""

import numpy as np

SEED_IMAGE = np.array(
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 1, 1, 1, 1, 1, 0],
        [0, 1, 0, 0, 1, 0, 0],
        [0, 1, 0, 1, 0, 0, 0],
        [0, 1, 1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ]
)
SEED_KERNEL = np.array([[0, 0, 0], [0, 1, 1], [0, 1, 0]])
SEED_STRIDE1 = np.array(  # k=3, s=1, p=0: the 5×5 output
    [
        [3, 2, 2, 3, 1],
        [2, 0, 2, 1, 0],
        [2, 2, 1, 0, 0],
        [3, 1, 0, 0, 0],
        [1, 0, 0, 0, 0],
    ]
)
SEED_STRIDE2 = np.array([[3, 2, 1], [2, 1, 0], [1, 0, 0]])  # k=3, s=2, p=0: the 3×3 output
