"""Random training data for `train(X, k, lam)` with a spectrum chosen for the checks.

The checks need X whose top-k eigenvalues (of X X^T / n) are well separated
from the rest, so that plain gradient descent reaches the minimizer of (6) in
a few hundred steps, and large enough relative to lam that the classic
scaling mistakes (lam * m, lam / 2) move the singular values by more than the
2e-2 tolerance. The data are not centered: their mean lies along the top
eigenvector, so a model that keeps its biases fits a different problem and
is caught (objective (6) has no bias and no centering).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrainCase:
    """One call of train(X, k, lam): the data (float32, m x n), the rank and the penalty."""

    X: np.ndarray
    k: int
    lam: float

    @property
    def m(self) -> int:
        """Input dimension."""
        return int(self.X.shape[0])

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.X.shape[1])


def sample_case(rng: np.random.Generator, m: int, k: int, n: int,
                top: tuple[float, float] = (1.6, 3.6), rest: tuple[float, float] = (0.05, 0.5),
                lam: tuple[float, float] = (0.28, 0.36)) -> TrainCase:
    """A random X (m x n, float32) whose X X^T / n has k eigenvalues in `top` and the others in `rest`."""
    if not 1 <= k < m < n:
        raise ValueError(f"need 1 <= k < m < n, got k={k}, m={m}, n={n}")
    # The top-k eigenvalues are spread over `top` (jittered) so that they are distinct.
    grid = np.linspace(top[1], top[0], k)
    spread = (top[1] - top[0]) / (4 * max(k - 1, 1))
    s_top = np.sort(grid + rng.uniform(-spread, spread, k))[::-1]
    s_rest = np.sort(rng.uniform(rest[0], rest[1], m - k))[::-1]
    s = np.concatenate([s_top, s_rest])
    U, _ = np.linalg.qr(rng.standard_normal((m, m)))
    # Rows of Z: a constant row of ones (the mean) and m-1 centered rows, all
    # orthogonal with Z Z^T / n = I exactly, so X X^T / n = U diag(s) U^T.
    G = rng.standard_normal((n, m - 1))
    G -= G.mean(axis=0)
    Q, _ = np.linalg.qr(np.column_stack([np.ones(n) / np.sqrt(n), G]))
    Q[:, 0] = np.ones(n) / np.sqrt(n)  # qr may flip the sign of the first column
    Z = np.sqrt(n) * Q.T
    X = (U * np.sqrt(s)) @ Z
    return TrainCase(X=X.astype(np.float32), k=k, lam=round(float(rng.uniform(*lam)), 3))
