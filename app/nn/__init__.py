"""A small neural-network engine in pure NumPy, written to be read: forward and backward for every layer."""

from app.nn.activations import ACTIVATIONS, Activation
from app.nn.arithmetic import (
    PADDING_MODES,
    LayerGeometry,
    ReceptiveField,
    Window,
    effective_kernel,
    output_size,
    output_size_terms,
    padding_for,
    receptive_fields,
    window_indices,
    windows,
)
from app.nn.conv import conv2d_backward, conv2d_forward
from app.nn.gradcheck import check_gradients, numerical_gradient, relative_error
from app.nn.layers import AvgPool2D, Conv2D, Dense, Flatten, Layer, MaxPool2D, ReLU, Sigmoid, Tanh
from app.nn.losses import LOSSES, softmax, softmax_cross_entropy, squared_error
from app.nn.optim import OPTIMIZERS, SGD, Adam
from app.nn.pool import (
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_forward,
    max_pool2d_winners,
)
from app.nn.sequential import LayerTrace, Sequential

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "PADDING_MODES",
    "LayerGeometry",
    "ReceptiveField",
    "Window",
    "effective_kernel",
    "output_size",
    "output_size_terms",
    "padding_for",
    "receptive_fields",
    "window_indices",
    "windows",
    "conv2d_backward",
    "conv2d_forward",
    "check_gradients",
    "numerical_gradient",
    "relative_error",
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "LOSSES",
    "softmax",
    "softmax_cross_entropy",
    "squared_error",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "max_pool2d_backward",
    "max_pool2d_forward",
    "max_pool2d_winners",
    "LayerTrace",
    "Sequential",
]
