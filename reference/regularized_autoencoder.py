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

# The properties of the minimizer that the checks compare with (its singular values, the optimum loss, the
# spectrum, the lam a W2 implies) are the checks' own, in problems/regularized_autoencoder/properties.py;
# only the minimizer itself is here.
from problems.regularized_autoencoder.properties import (  # noqa: F401 (the reference's vocabulary)
    ZERO_SINGULAR_VALUE, EffectiveLambda, covariance, effective_lambda, objective, optimal_singular_values,
    optimum_loss, spectrum,
)

@dataclass(frozen=True)
class Minimizer:
    """A closed-form minimizer of objective (6) and what it is made of."""

    W1: np.ndarray  # k x m
    W2: np.ndarray  # m x k
    eigenvalues: np.ndarray  # top-k eigenvalues s_i of X X^T / n, descending
    eigenvectors: np.ndarray  # m x k, the matching unit eigenvectors U_k
    singular_values: np.ndarray  # sqrt(max(0, 1 - lam / s_i)), descending
    loss: float  # the optimum value of (6)


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


# The options of the select-all question that optimizing (6) exactly needs (the answer).
NEEDED = frozenset({"weight decay", "sgd optimizer"})


def accepted_texts() -> dict[str, tuple[str, ...]]:
    """The short answers as text, for the leak test (grader.secrets).

    The options of the multiple-choice parts are public (the statement lists them), so what is secret is the
    choice: an answer bound to its name, or the needed pair together. The parts `build_model` and `train` are
    functions, judged by what they return; they have no text to leak.
    """
    from problems.regularized_autoencoder.normalize import LOSS_OPTIONS, OPTIONS

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
