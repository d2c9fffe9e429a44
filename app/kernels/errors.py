"""The one error of the kernel engine: a value it cannot work with, named in the sentence."""

from typing import Literal

SVMErrorCode = Literal["bad_value", "bad_shape", "too_large"]


class SVMError(ValueError):
    """Input the kernels or the SVM solver refuse (C ≤ 0, γ ≤ 0, a degree out of range, one class only, too many
    points, NaN); the message names the value, the code says which kind for programs (the websocket and REST codes)."""

    def __init__(self, message: str, code: SVMErrorCode = "bad_value") -> None:
        super().__init__(message)
        self.code: SVMErrorCode = code
