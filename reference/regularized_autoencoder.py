"""Reference for the l2-regularized linear autoencoder (numpy only, trusted side).

Objective (6) of the answer contract, for X in R^{m x n} (one sample per column):

    L(W1, W2) = (1/n) ||X - W2 W1 X||_F^2 + lam (||W1||_F^2 + ||W2||_F^2).

With C = X X^T / n = U diag(s) U^T (s descending), the minimizers are

    W2 = U_k diag(sigma) O,   W1 = W2^T,   sigma_i = sqrt(max(0, 1 - lam / s_i)),

for any k x k orthogonal O. Per principal direction the objective reads
s (1 - t)^2 + 2 lam t with t = sigma^2 >= 0, minimised at t = 1 - lam / s
(or t = 0 when s <= lam), which gives the optimum

    L* = trace(C) - sum_{i <= k, s_i > lam} (s_i - lam)^2 / s_i.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this a trained singular value counts as "switched off": it carries no
# information about lam beyond the bound lam >= s_i.
ZERO_SINGULAR_VALUE = 0.05


@dataclass(frozen=True)
class Minimizer:
    """A closed-form minimizer of objective (6) and what it is made of."""

    W1: np.ndarray  # k x m
    W2: np.ndarray  # m x k
    eigenvalues: np.ndarray  # top-k eigenvalues s_i of X X^T / n, descending
    eigenvectors: np.ndarray  # m x k, the matching unit eigenvectors U_k
    singular_values: np.ndarray  # sqrt(max(0, 1 - lam / s_i)), descending
    loss: float  # the optimum value of (6)


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


def minimizer(X: np.ndarray, k: int, lam: float, rotation: np.ndarray | None = None) -> Minimizer:
    """The closed-form minimizer W2 = U_k (I - lam S^-1)^{1/2} O, W1 = W2^T (O = I by default)."""
    m = np.asarray(X).shape[0]
    if not 1 <= k <= m:
        raise ValueError(f"k must be within 1..m={m}, got {k}")
    if lam < 0:
        raise ValueError(f"lam must be >= 0, got {lam}")
    s, U = spectrum(X)
    sigma = optimal_singular_values(s[:k], lam)
    O = np.eye(k) if rotation is None else np.asarray(rotation, dtype=np.float64)
    W2 = U[:, :k] @ np.diag(sigma) @ O
    return Minimizer(W1=W2.T.copy(), W2=W2, eigenvalues=s[:k].copy(), eigenvectors=U[:, :k].copy(),
                     singular_values=sigma, loss=optimum_loss(X, k, lam))


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


def accepted_texts() -> dict[str, tuple[str, ...]]:
    """The short answers as text, for the leak test (grader.secrets).

    The options of the multiple-choice parts are public (the statement lists them), so what is secret is the
    choice: an answer bound to its name, or the needed pair together. The parts `build_model` and `train` are
    functions, judged by what they return; they have no text to leak.
    """
    from problems.regularized_autoencoder.normalize import LOSS_OPTIONS, NEEDED, OPTIONS

    def bound(name: str, values) -> tuple[str, ...]:
        return tuple(f"{name}{sign} {v}" for v in values for sign in (" =", ":"))

    loss = LOSS_OPTIONS["mseloss"]  # "nn.MSELoss"
    needed = [o for o in OPTIONS if o in NEEDED]
    pairs = [f"{a}{sep}{b}" for a, b in (needed, needed[::-1]) for sep in (", ", " and ", " + ")]
    return {
        "num_linear_layers": bound("num_linear_layers", ("2", "two")),
        "loss_function": bound("loss_function", (loss, loss.removeprefix("nn."), f"torch.{loss}")),
        "needed_to_optimize_exactly": tuple(pairs) + bound("needed_to_optimize_exactly", pairs),
        "orthonormal_bias": bound("orthonormal_bias", ("yes", "true")),
    }
