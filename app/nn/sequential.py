"""Sequential: layers applied in order, with a trace mode that records what every layer saw and sent back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, overload

import numpy as np

from app.nn.arithmetic import INPUT_FIELD, ReceptiveField, next_field
from app.nn.layers import Flatten, Layer


@dataclass
class LayerTrace:
    """One layer's part in a forward (and, once run, backward) pass: the raw material the UI streams."""

    name: str
    input: np.ndarray
    output: np.ndarray
    grad_output: np.ndarray | None = None
    grad_input: np.ndarray | None = None
    param_grads: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def dout(self) -> np.ndarray:
        """grad_output, which the backward pass after the traced forward filled in."""
        if self.grad_output is None:
            raise RuntimeError(f"{self.name}: no backward pass since the traced forward")
        return self.grad_output

    @property
    def dx(self) -> np.ndarray:
        """grad_input, which the backward pass after the traced forward filled in (unless it skipped it)."""
        if self.grad_input is None:
            raise RuntimeError(f"{self.name}: no gradient at the input since the traced forward")
        return self.grad_input


class Sequential:
    """A network that is a chain of named layers."""

    def __init__(self, layers: list[Layer]) -> None:
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"layer names must be unique; repeated: {', '.join(duplicates)}")
        self.layers = layers
        self.trace: list[LayerTrace] | None = None

    def layer(self, name: str) -> Layer:
        """The layer called name."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer named {name!r}; layers are {', '.join(layer.name for layer in self.layers)}")

    def forward(self, x: np.ndarray, trace: bool = False) -> np.ndarray:
        """Run every layer; with trace=True keep each layer's input and output in self.trace."""
        records: list[LayerTrace] = []
        self.trace = records if trace else None
        for layer in self.layers:
            out = layer.forward(x)
            if trace:
                records.append(LayerTrace(layer.name, x, out))
            x = out
        return x

    def traced(self) -> dict[str, LayerTrace]:
        """The last traced pass (forward(x, trace=True) and any backward after it), by layer name."""
        if self.trace is None:
            raise RuntimeError("the last forward pass was not traced: call forward(x, trace=True)")
        return {record.name: record for record in self.trace}

    @overload
    def backward(self, dout: np.ndarray, input_grad: Literal[True] = True) -> np.ndarray: ...

    @overload
    def backward(self, dout: np.ndarray, input_grad: bool) -> np.ndarray | None: ...

    def backward(self, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate dout (gradient at the output) through every layer, last first; return dx.

        With input_grad=False (training) the first layer may skip the input's gradient and return None.
        """
        for i in reversed(range(len(self.layers))):
            layer = self.layers[i]
            dx = layer.backward(dout, input_grad or i > 0)
            if self.trace is not None:
                record = self.trace[i]
                record.grad_output, record.grad_input, record.param_grads = dout, dx, dict(layer.grads)
            if dx is None:  # only the first layer skips it, and only with input_grad=False
                return None
            dout = dx
        return dout

    def params(self) -> dict[str, np.ndarray]:
        """Every parameter array by "layer.param" name (the arrays themselves, so updates stick)."""
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        """Every parameter's gradient from the last backward pass, keyed like params()."""
        return {f"{layer.name}.{k}": v for layer in self.layers for k, v in layer.grads.items()}

    def receptive_fields(self) -> dict[str, ReceptiveField]:
        """Receptive field of each layer's units in input pixels, up to the first Flatten."""
        fields: dict[str, ReceptiveField] = {}
        field_ = INPUT_FIELD
        for layer in self.layers:
            if isinstance(layer, Flatten):
                break
            if layer.geometry is not None:
                field_ = next_field(field_, layer.geometry)
            fields[layer.name] = field_
        return fields
