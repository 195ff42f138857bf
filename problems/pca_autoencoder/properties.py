"""What PCA weights can be judged by without a solution: the loss, its gradients, and the spectrum of XXᵀ.

L(W1, W2; X) = ||X - W2 W1 X||_F^2 is the loss of the statement. Its gradients at numeric
matrices are computed here by complex-step differentiation of the loss itself (exact to
rounding: Im L(W + ihE) / h for each entry E), never from a formula for them; the same
for the two pieces L splits into, whose sizes say how large a gradient is "relative to
its terms". The minimum of L is the sum of the m − k smallest eigenvalues of XXᵀ.
"""
from __future__ import annotations

import numpy as np

STEP = 1e-30  # the complex step: no cancellation, so tiny is exact


def loss(W1: np.ndarray, W2: np.ndarray, X: np.ndarray) -> float:
    """The loss at numeric matrices."""
    r = X - W2 @ W1 @ X
    return float(np.sum(r * r))


def gram_eigen(X: np.ndarray):
    """Eigenvalues (descending) and eigenvectors (columns) of X Xᵀ."""
    vals, vecs = np.linalg.eigh(X @ X.T)
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


def min_loss(X: np.ndarray, k: int) -> float:
    """The minimum of the loss: the sum of the m - k smallest eigenvalues of X Xᵀ."""
    vals, _ = gram_eigen(X)
    return float(np.sum(vals[k:]))


def _reconstruction(W1, W2, X):
    """L itself, for complex arguments: no conjugate, so that it stays analytic."""
    r = X - W2 @ W1 @ X
    return np.sum(r * r)


def _quadratic(W1, W2, X):
    """The piece ||W2 W1 X||_F^2 of L = ||X||² − 2 tr(W2 W1 X Xᵀ) + ||W2 W1 X||²."""
    y = W2 @ W1 @ X
    return np.sum(y * y)


def _cross(W1, W2, X):
    """The piece 2 tr(W2 W1 X Xᵀ) of L."""
    return 2 * np.trace(W2 @ W1 @ X @ X.T)


def _gradients(f, W1: np.ndarray, W2: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂f/∂W1, ∂f/∂W2) at real matrices, by complex steps, one entry at a time."""
    W1 = np.asarray(W1, dtype=float)
    W2 = np.asarray(W2, dtype=float)
    X = np.asarray(X, dtype=float)
    out = []
    for which, W in ((0, W1), (1, W2)):
        g = np.empty_like(W)
        for index in np.ndindex(W.shape):
            step = W.astype(complex)
            step[index] += 1j * STEP
            args = (step, W2, X) if which == 0 else (W1, step, X)
            g[index] = np.imag(f(*args)) / STEP
        out.append(g)
    return out[0], out[1]


def loss_gradients(W1: np.ndarray, W2: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(∂L/∂W1, ∂L/∂W2) at numeric matrices."""
    return _gradients(_reconstruction, W1, W2, X)


def gradient_size(W1: np.ndarray, W2: np.ndarray, X: np.ndarray) -> float:
    """How large the gradients are relative to the size of their terms (0 at a critical point).

    Each gradient of L is the difference of the gradients of its two pieces; it is compared with the
    larger of them, so that the measure does not depend on the scale of X or of the weights.
    """
    g1, g2 = loss_gradients(W1, W2, X)
    q1, q2 = _gradients(_quadratic, W1, W2, X)
    c1, c2 = _gradients(_cross, W1, W2, X)
    t1 = max(np.linalg.norm(q1), np.linalg.norm(c1))
    t2 = max(np.linalg.norm(q2), np.linalg.norm(c2))
    r1 = 0.0 if t1 == 0 else np.linalg.norm(g1) / t1
    r2 = 0.0 if t2 == 0 else np.linalg.norm(g2) / t2
    return float(max(r1, r2))
