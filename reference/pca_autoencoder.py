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


# The gradients as students write them (the answer contract's forms), in plain and LaTeX notation, for the leak
# test. tests/unit/test_secrets.py reads each with the grader's own parser and compares it with gradients(), so a
# slip here cannot hide.
WRITTEN_GRADIENTS = {
    "grad_W1": ("2*W2.T*(W2*W1 - I)*X*X.T", r"2W_2^\top (W_2 W_1 - I) X X^\top"),
    "grad_W2": ("2*(W2*W1 - I)*X*X.T*W1.T", r"2(W_2 W_1 - I) X X^\top W_1^\top"),
}


def _spellings(text: str) -> set:
    """`text` with the other ways of writing a transpose, a product and the identity (`@` and `−` fold to `*`, `-`).

    Products by juxtaposition ("2W2ᵀ(W2W1 − I)XXᵀ", as the answer contract writes them) only with a transpose
    that ends a name, `^T` or `ᵀ`: "XX.T" is not an expression.
    """
    forms = {text}
    for old, new in ((".T", "^T"), (".T", "ᵀ"), (r"^\top", "^T"), (r"^\top", "ᵀ"), ("- I)", "- I_m)")):
        forms |= {f.replace(old, new) for f in forms if old in f}
    return forms | {f.replace("*", "") for f in forms if "*" in f and ".T" not in f}


def _unscaled(text: str) -> str:
    """A factored form without its leading factor 2 (a first-order condition may drop it)."""
    return text[2:] if text.startswith("2*") else (text[1:] if text.startswith("2") else text)


def accepted_texts() -> dict[str, tuple[str, ...]]:
    """The gradients and first-order conditions as text, for the leak test (grader.secrets)."""
    out, conditions = {}, set()
    for part, written in WRITTEN_GRADIENTS.items():
        exact = gradients()[part]
        forms = set(written) | {str(exact), str(sp.expand(exact))}
        out[part] = tuple(sorted(set().union(*(_spellings(f) for f in forms))))
        # Conditions: the gradient without its factor 2 set to zero, or its two expanded terms set equal.
        half = sp.expand(exact / 2)
        negative = [t for t in half.args if t.could_extract_minus_sign()]
        positive = [t for t in half.args if not t.could_extract_minus_sign()]
        relation = f"{sp.MatAdd(*positive)} = {-sp.MatAdd(*negative)}"
        for f in {_unscaled(w) for w in written} | {str(exact / 2), str(half), relation}:
            conditions |= _spellings(f)
    out["first_order_conditions"] = tuple(sorted(conditions))
    return out
