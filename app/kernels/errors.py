"""The one error of the kernel engine: a value it cannot work with, named in the sentence."""


class SVMError(ValueError):
    """Input the kernels or the SVM solver refuse (C ≤ 0, γ ≤ 0, a degree out of range, one class only, too many
    points, NaN); the message names the value."""
