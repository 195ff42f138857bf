"""The hidden claim of Q3b: pca_weights is the PCA solution itself (W2 = W1ᵀ, orthonormal). Staff-only.

Never in a student package: its judge names the solution, and it asks the reference PCA
whether a smaller counterexample is fair.
"""
from __future__ import annotations

import numpy as np

from grader.claims import claim
from grader.errors import Wrong
from problems.pca_autoencoder import properties
from problems.pca_autoencoder.checks import CRITICAL_TOL, LOSS_RTOL, ORTHO_TOL, _nums, pca_claim
from reference import pca_autoencoder as ref


def judge_orthonormal_and_tied(X, k, W1, W2) -> None:
    """Wrong unless W2 = W1ᵀ with orthonormal columns at a critical point (the signs of the columns are free)."""
    untied = np.linalg.norm(W2 - W1.T) / max(np.linalg.norm(W2), 1e-300)
    skew = np.linalg.norm(W2.T @ W2 - np.eye(k))
    if untied <= ORTHO_TOL and skew <= ORTHO_TOL:
        if properties.gradient_size(W1, W2, X) > CRITICAL_TOL:
            # Any orthonormal Q gives W2 = W1ᵀ = Q: only eigenvectors of XXᵀ make it a PCA solution.
            raise Wrong("W2 = W1ᵀ with orthonormal columns, but not eigenvectors of XXᵀ: the gradients do not "
                        "vanish there, so this is not a PCA solution")
        return
    at_minimum = abs(properties.loss(W1, W2, X) - properties.min_loss(X, k)) <= LOSS_RTOL * float(np.trace(X @ X.T))
    if at_minimum:
        _, vecs = properties.gram_eigen(X)
        A = W1 @ vecs[:, :k]
        s = np.linalg.svd(A, compute_uv=False)
        raise Wrong(f"this is a minimum, but not the orthonormal one: W1 = A U_kᵀ and W2 = U_k A⁻¹ with A "
                    f"having singular values {_nums(s)}; PCA takes A orthogonal (W2 = W1ᵀ = U_k up to signs)")
    raise Wrong(f"W2 should equal W1ᵀ and have orthonormal columns: ‖W2 − W1ᵀ‖/‖W2‖ = {untied:.3g}, "
                f"‖W2ᵀW2 − I‖ = {skew:.3g}")


def _reference_passes(X, k, judge) -> bool:
    """Whether the reference PCA passes `judge` on (X, k): only then is (X, k) a fair counterexample."""
    try:
        judge(X, k, *ref.pca_weights(X, k))
    except Wrong:
        return False
    return True


@claim("pca_weights", points=1, visibility="hidden",
       description="is the PCA solution: W2 = W1ᵀ with orthonormal columns")
def pca_weights_are_orthonormal_and_tied(answers, rng):
    """W2 = W1ᵀ and W2ᵀW2 = I_k at a critical point (the signs of the columns are free)."""
    pca_claim(answers, rng, judge_orthonormal_and_tied,
              lambda X, k: _reference_passes(X, k, judge_orthonormal_and_tied))
