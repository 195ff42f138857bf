"""Properties of the minimizer of objective (6) that need no solution: the checks compare trained weights with them.

The objective is (1/n)‖X − W2W1X‖² (Frobenius) plus lam times the squared Frobenius norms of
W1 and W2, X holding one sample per column. With C = XXᵀ/n = U diag(s) Uᵀ (s descending),
the singular values of W2 at a minimizer are sqrt(max(0, 1 − lam/s_i)) for the top k
eigenvalues, and the optimum is trace(C) − Σ_{i ≤ k, s_i > lam} (s_i − lam)²/s_i. Nothing here
trains or builds the weights.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this a trained singular value counts as "switched off": it carries no
# information about lam beyond the bound lam >= s_i.
ZERO_SINGULAR_VALUE = 0.05


@dataclass(frozen=True)
class EffectiveLambda:
    """The lam whose minimizer has the given singular values, or a lower bound on it."""

    value: float
    exact: bool  # False: every singular value was ~0, and `value` is only a lower bound
    used: int  # how many singular values went into the estimate


def covariance(X: np.ndarray) -> np.ndarray:
    """X X^T / n in float64 (the second-moment matrix: objective (6) does not center X)."""
    X = np.asarray(X, dtype=np.float64)
    return X @ X.T / X.shape[1]


def spectrum(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All eigenvalues of X X^T / n, descending, and their eigenvectors as columns."""
    vals, vecs = np.linalg.eigh(covariance(X))
    order = np.argsort(vals)[::-1]
    # eigh may return tiny negative values for a rank-deficient C; they are 0.
    return np.clip(vals[order], 0.0, None), vecs[:, order]


def optimal_singular_values(eigenvalues: np.ndarray, lam: float) -> np.ndarray:
    """sqrt(max(0, 1 - lam / s_i)) for each eigenvalue s_i (0 where s_i <= lam)."""
    s = np.asarray(eigenvalues, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(s > lam, 1.0 - lam / np.where(s > 0, s, 1.0), 0.0)
    return np.sqrt(np.clip(t, 0.0, None))


def objective(X: np.ndarray, W1: np.ndarray, W2: np.ndarray, lam: float) -> float:
    """Objective (6): (1/n)||X - W2 W1 X||_F^2 + lam (||W1||_F^2 + ||W2||_F^2), in float64."""
    X = np.asarray(X, dtype=np.float64)
    W1 = np.asarray(W1, dtype=np.float64)
    W2 = np.asarray(W2, dtype=np.float64)
    R = X - W2 @ (W1 @ X)
    return float(np.sum(R * R) / X.shape[1] + lam * (np.sum(W1 * W1) + np.sum(W2 * W2)))


def optimum_loss(X: np.ndarray, k: int, lam: float) -> float:
    """The minimum of (6): trace(C) - sum over the top k with s_i > lam of (s_i - lam)^2 / s_i."""
    s, _ = spectrum(X)
    top = s[:k]
    kept = top[top > lam]
    return float(np.sum(s) - np.sum((kept - lam) ** 2 / kept))


def effective_lambda(X: np.ndarray, W2: np.ndarray) -> EffectiveLambda:
    """The lam implied by W2's singular values: the least-squares fit of sigma_i^2 = 1 - lam / s_i.

    Singular values near zero are left out (they only say lam >= s_i); when
    all of them are near zero the result is that lower bound, marked inexact.
    """
    W2 = np.asarray(W2, dtype=np.float64)
    k = min(W2.shape)
    s = spectrum(X)[0][:k]
    sigma = np.sort(np.linalg.svd(W2, compute_uv=False))[::-1][:k]
    alive = (sigma > ZERO_SINGULAR_VALUE) & (s > 0)
    if not np.any(alive):
        return EffectiveLambda(value=float(s[0]), exact=False, used=0)
    # sigma^2 = 1 - lam / s  is linear in lam with slope -1/s: fit it by least squares.
    inv = 1.0 / s[alive]
    value = float(np.sum((1.0 - sigma[alive] ** 2) * inv) / np.sum(inv * inv))
    return EffectiveLambda(value=value, exact=True, used=int(np.sum(alive)))
