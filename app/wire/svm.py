"""The REST endpoint POST /api/svm: a kernel SVM trained on points a script sends, with scikit-learn's SVC
conventions so it can be checked from outside (dual_coef_ = αᵢyᵢ over the support, intercept_ = b).

Static bounds (types, signs, two coordinates a point) are checked here; the limits a server operator sets (points,
degree, grid) are settings, checked by app/services/svm.py with a sentence naming the limit and its variable.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StrictInt

from app.wire.kernels import KernelName
from app.wire.protocol import Message

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Label = Annotated[StrictInt, Field(ge=0, le=1)]


class SvmRequest(Message):
    """POST /api/svm: points with 0/1 labels, a kernel and its parameters, the soft margin C, and an optional grid."""

    points: list[tuple[FiniteFloat, FiniteFloat]] = Field(
        min_length=2, description="the training points, one [x1, x2] each", examples=[[[0, 0], [0, 1], [1, 0], [1, 1]]]
    )
    labels: list[Label] = Field(
        min_length=2,
        description="one class per point: 1 is the positive class (y = +1), 0 the negative (y = −1); both must occur",
        examples=[[0, 1, 1, 0]],
    )
    kernel: KernelName = Field(
        description="linear ⟨x, x′⟩, poly (γ⟨x, x′⟩ + coef0)^degree or rbf exp(−γ‖x − x′‖²), as scikit-learn's SVC",
        examples=["poly"],
    )
    C: FiniteFloat = Field(1.0, gt=0, description="the soft margin: every αᵢ is in [0, C]")
    gamma: FiniteFloat = Field(1.0, gt=0, description="γ of the poly and rbf kernels (a number, as SVC's gamma=)")
    degree: StrictInt = Field(3, ge=1, description="degree of the poly kernel", examples=[2])
    coef0: FiniteFloat = Field(1.0, description="coef0 of the poly kernel (SVC's default is 0: send it to compare)")
    grid: StrictInt | None = Field(
        None, ge=2, description="also answer f over an n×n grid spanning the points' bounding box", examples=[41]
    )


class SvmGrid(BaseModel):
    """f over an n×n grid of the points' bounding box: f[row][col] = f(x[col], y[row])."""

    x: list[float] = Field(
        description="the n grid coordinates along x1, from the smallest x1 of the points to the largest"
    )
    y: list[float] = Field(description="the n grid coordinates along x2, likewise")
    f: list[list[float]] = Field(description="n rows of n values: row r is x2 = y[r], column c is x1 = x[c]")


class SvmResponse(BaseModel):
    """The trained SVM: f(x) = Σᵢ αᵢ yᵢ K(xᵢ, x) + b, positive for label 1."""

    alpha: list[float] = Field(description="αᵢ for every input point, in [0, C]; 0 off the support")
    b: float = Field(description="the bias (SVC's intercept_)")
    support: list[int] = Field(description="indices of the support vectors (αᵢ > 0), ascending")
    dual_objective: float = Field(description="W(α) = Σᵢ αᵢ − ½ Σᵢⱼ αᵢαⱼyᵢyⱼK(xᵢ, xⱼ), the maximised dual")
    decision: list[float] = Field(description="f(xᵢ) for every input point")
    iterations: int = Field(description="SMO pair updates the solver made")
    converged: bool = Field(
        description="false when the iteration limit stopped the solver before the optimality conditions held to 1e-3 "
        "(α is then the best found, still feasible)"
    )
    grid: SvmGrid | None = Field(None, description="f over the grid, when the request asked for one")
