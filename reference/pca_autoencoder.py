"""Reference solution of Q3b (PCA and linear autoencoders). Trusted side only.

The gradients are derived here by sympy from the loss written as a trace, not
typed in, so a slip in the reference cannot hide behind a slip in a formula.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

m, n, k = sp.symbols("m n k", integer=True, positive=True)
W1 = sp.MatrixSymbol("W1", k, m)
W2 = sp.MatrixSymbol("W2", m, k)
X = sp.MatrixSymbol("X", m, n)


def loss_expr():
    """L(W1, W2; X) = ||X - W2 W1 X||_F^2 as the trace tr(RᵀR), R = X - W2 W1 X."""
    residual = X - W2 * W1 * X
    return sp.Trace(residual.T * residual)


@lru_cache(maxsize=None)
def gradients() -> dict:
    """{'grad_W1': ∂L/∂W1, 'grad_W2': ∂L/∂W2} as sympy matrix expressions (k×m and m×k)."""
    loss = loss_expr()
    return {"grad_W1": sp.diff(loss, W1), "grad_W2": sp.diff(loss, W2)}


def condition_residuals() -> tuple:
    """The residuals whose vanishing is each first-order condition: the two gradients."""
    g = gradients()
    return (g["grad_W1"], g["grad_W2"])


def loss(W1v: np.ndarray, W2v: np.ndarray, Xv: np.ndarray) -> float:
    """The loss at numeric matrices."""
    r = Xv - W2v @ W1v @ Xv
    return float(np.sum(r * r))


def gram_eigen(Xv: np.ndarray):
    """Eigenvalues (descending) and eigenvectors (columns) of X Xᵀ."""
    vals, vecs = np.linalg.eigh(Xv @ Xv.T)
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


def min_loss(Xv: np.ndarray, kv: int) -> float:
    """The minimum of the loss: the sum of the m - k smallest eigenvalues of X Xᵀ."""
    vals, _ = gram_eigen(Xv)
    return float(np.sum(vals[kv:]))


def pca_weights(Xv: np.ndarray, kv: int):
    """A minimizer: W1 = U_kᵀ, W2 = U_k with U_k the top-k eigenvectors of X Xᵀ."""
    _, vecs = gram_eigen(Xv)
    Uk = vecs[:, :kv]
    return Uk.T.copy(), Uk.copy()
