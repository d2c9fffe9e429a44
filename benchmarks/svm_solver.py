"""The SVM solver of app/kernels/svm.py beside scikit-learn's SVC (libsvm, C++) on the same problems: fit time,
pair updates, support vectors and dual objective, for each kernel at a few sizes.

Points are noisy XOR (a curved boundary, the page's hardest everyday set) scaled to [−2, 2]²; C = 1, γ = 1,
degree 3, coef0 1, tolerance 1e-3 for both. Each time is the median of --repeats fits in this process, so the two
columns are measured under the same load. Run: python benchmarks/svm_solver.py [--sizes 200 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.svm import SVC

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.kernels.kernels import KERNELS, Kernel  # noqa: E402
from app.kernels.svm import fit  # noqa: E402


def median_seconds(repeats: int, run: Callable[..., object], *arguments: object) -> float:
    """The median wall time of repeats calls of run(*arguments)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(*arguments)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print one row per kernel and size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        f"{'kernel':7} {'n':>5} {'ours ms':>8} {'SVC ms':>7} {'ratio':>6} {'updates':>8} {'SV':>9} {'W rel diff':>10}"
    )
    for n in args.sizes:
        rng = np.random.default_rng(n)
        points = rng.uniform(-2, 2, size=(n, 2))
        labels = (points[:, 0] * points[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
        for name in KERNELS:
            kernel = Kernel(name, gamma=1.0, degree=3, coef0=1.0)
            model = fit(points, labels, kernel, 1.0)
            theirs = SVC(C=1.0, kernel=name, gamma=1.0, degree=3, coef0=1.0).fit(points, labels)
            ours = median_seconds(args.repeats, fit, points, labels, kernel, 1.0)
            svc = median_seconds(args.repeats, theirs.fit, points, labels)
            alpha = np.zeros(n)
            alpha[theirs.support_] = np.abs(theirs.dual_coef_[0])
            weights = alpha * model.y
            their_objective = alpha.sum() - 0.5 * weights @ kernel(points, points) @ weights
            print(
                f"{name:7} {n:5d} {ours * 1e3:8.1f} {svc * 1e3:7.1f} {ours / svc:6.1f} {model.iterations:8d} "
                f"{model.support.size:4d}/{theirs.support_.size:<4d} "
                f"{abs(model.dual_objective - their_objective) / abs(their_objective):10.1e}"
            )


if __name__ == "__main__":
    main()
