"""backprop-lab: real NumPy networks on a server, animated in the browser to teach backpropagation and CNNs."""

__version__ = "0.1.0"
