"""Layers: objects that keep their parameters, the gradients of those, and what backward needs (the cache).

Every layer has forward(x) -> out and backward(dout) -> dx; backward also fills self.grads, which has
the same keys as self.params. backward(dout, input_grad=False) lets a layer with parameters skip dx when
nothing needs it (the first layer while training); it then returns None.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.nn.activations import ACTIVATIONS
from app.nn.arithmetic import LayerGeometry
from app.nn.fast import (
    conv2d_backward_fast,
    conv2d_forward_fast,
    max_pool2d_backward_fast,
    max_pool2d_forward_fast,
    max_pool2d_winners_fast,
)
from app.nn.pool import avg_pool2d_backward, avg_pool2d_forward


class Layer:
    """Base class: a named step of a network with parameters, gradients and a cache."""

    geometry: LayerGeometry | None = None

    def __init__(self, name: str) -> None:
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.cache: object = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        raise NotImplementedError

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{tuple(v.shape)}" for k, v in self.params.items())
        return f"{type(self).__name__}({self.name!r}{', ' + shapes if shapes else ''})"


def he_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int, dtype: type) -> np.ndarray:
    """Weights drawn from N(0, 2 / fan_in): keeps activations' scale steady through ReLU layers."""
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


class Conv2D(Layer):
    """Convolution of C input channels into F feature maps with F kernels of size C×k×k.

    It runs conv.py's pair in its faster layout (app/nn/fast.py), which gives the same numbers.
    """

    geometry: LayerGeometry
    cache: tuple

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
        name: str = "conv",
    ) -> None:
        super().__init__(name)
        rng = rng if rng is not None else np.random.default_rng()
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        self.params["w"] = he_normal(rng, shape, in_channels * kernel_size**2, dtype)
        if bias:
            self.params["b"] = np.zeros(out_channels, dtype=dtype)
        self.geometry = LayerGeometry(kernel_size, stride, padding, dilation)

    def forward(self, x: np.ndarray) -> np.ndarray:
        g = self.geometry
        out, self.cache = conv2d_forward_fast(x, self.params["w"], self.params.get("b"), g.s, g.p, g.d)
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        dx, self.grads["w"], db = conv2d_backward_fast(dout, self.cache, input_grad)
        if db is not None:
            self.grads["b"] = db
        return dx


class Pool2D(Layer):
    """Pooling over k×k windows with stride s (default k) and padding p; subclasses pick the functional pair."""

    pool_forward: Callable[..., tuple[np.ndarray, tuple]]
    pool_backward: Callable[[np.ndarray, tuple], np.ndarray]
    geometry: LayerGeometry
    cache: tuple

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, *, name: str) -> None:
        super().__init__(name)
        self.geometry = LayerGeometry(kernel_size, kernel_size if stride is None else stride, padding)

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = self.pool_forward(x, self.geometry.k, self.geometry.s, self.geometry.p)
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return self.pool_backward(dout, self.cache)


class MaxPool2D(Pool2D):
    """Keeps the largest value of each k×k window (pool.py's pair, run in app/nn/fast.py's faster form)."""

    pool_forward = staticmethod(max_pool2d_forward_fast)
    pool_backward = staticmethod(max_pool2d_backward_fast)

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, *, name: str = "maxpool") -> None:
        super().__init__(kernel_size, stride, padding, name=name)

    def winners(self) -> np.ndarray:
        """(N, C, OH, OW, 2): row and column in the last forward pass's input of each window's winner."""
        if self.cache is None:
            raise RuntimeError(f"{self.name}: no forward pass to read the winners of")
        return max_pool2d_winners_fast(self.cache)


class AvgPool2D(Pool2D):
    """Averages each k×k window."""

    pool_forward = staticmethod(avg_pool2d_forward)
    pool_backward = staticmethod(avg_pool2d_backward)

    def __init__(self, kernel_size: int, stride: int | None = None, padding: int = 0, *, name: str = "avgpool") -> None:
        super().__init__(kernel_size, stride, padding, name=name)


class Dense(Layer):
    """Fully connected: out = x @ w + b with x (N, D), w (D, M), b (M,)."""

    cache: np.ndarray

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        rng: np.random.Generator | None = None,
        dtype: type = np.float32,
        name: str = "dense",
    ) -> None:
        super().__init__(name)
        rng = rng if rng is not None else np.random.default_rng()
        self.params["w"] = he_normal(rng, (in_features, out_features), in_features, dtype)
        if bias:
            self.params["b"] = np.zeros(out_features, dtype=dtype)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = x
        out = x @ self.params["w"]
        if "b" in self.params:
            out += self.params["b"]
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        x = self.cache
        self.grads["w"] = x.T @ dout
        if "b" in self.params:
            self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["w"].T if input_grad else None


class Flatten(Layer):
    """(N, C, H, W) -> (N, C·H·W), the bridge from feature maps to dense layers."""

    cache: tuple[int, ...]

    def __init__(self, name: str = "flatten") -> None:
        super().__init__(name)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dout.reshape(self.cache)


class ActivationLayer(Layer):
    """Applies an activation from the registry element-wise; backward multiplies by g'(a)."""

    kind = ""
    cache: tuple[np.ndarray, np.ndarray]

    def __init__(self, name: str | None = None) -> None:
        super().__init__(name or self.kind)
        self.activation = ACTIVATIONS[self.kind]

    def forward(self, x: np.ndarray) -> np.ndarray:
        out = self.activation.forward(x)
        self.cache = (x, out)
        return out

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dout * self.activation.derivative(*self.cache)


class ReLU(ActivationLayer):
    """max(a, 0)."""

    kind = "relu"


class Sigmoid(ActivationLayer):
    """σ(a) = 1 / (1 + e^(−a)), the recitation's XOR activation."""

    kind = "sigmoid"


class Tanh(ActivationLayer):
    """tanh(a)."""

    kind = "tanh"
