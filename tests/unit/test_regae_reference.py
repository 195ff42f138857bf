"""The closed-form minimizer of objective (6) (reference/regularized_autoencoder.py), checked by gradient descent."""
from __future__ import annotations

import numpy as np
import pytest

from problems.regularized_autoencoder.data import sample_case
from reference import regularized_autoencoder as ref


def gradient_descent(X, k, lam, steps=20000, lr=0.05, seed=0):
    """Plain full-batch gradient descent on (6) from a small random start; returns (W1, W2)."""
    rng = np.random.default_rng(seed)
    X = np.asarray(X, dtype=np.float64)
    m, n = X.shape
    C = X @ X.T / n
    W1 = 0.3 * rng.standard_normal((k, m))
    W2 = 0.3 * rng.standard_normal((m, k))
    I = np.eye(m)
    for _ in range(steps):
        E = (W2 @ W1 - I) @ C  # (1/n)(W2 W1 X - X) X^T
        g1 = 2 * W2.T @ E + 2 * lam * W1
        g2 = 2 * E @ W1.T + 2 * lam * W2
        W1, W2 = W1 - lr * g1, W2 - lr * g2
    return W1, W2


def random_data(seed, m=5, n=120, scales=(3.0, 2.0, 1.2, 0.3, 0.1)):
    """Gaussian data with a chosen spread per direction (not centered, not whitened)."""
    rng = np.random.default_rng(seed)
    U, _ = np.linalg.qr(rng.standard_normal((m, m)))
    return (U * np.sqrt(np.asarray(scales[:m]))) @ rng.standard_normal((m, n)) + 0.2


@pytest.mark.parametrize("seed, k, lam", [(0, 2, 0.3), (1, 3, 0.1), (2, 1, 0.5), (3, 3, 0.9)])
def test_gradient_descent_converges_to_the_closed_form(seed, k, lam):
    X = random_data(seed)
    W1, W2 = gradient_descent(X, k, lam, seed=seed)
    best = ref.minimizer(X, k, lam)
    got_sv = np.sort(np.linalg.svd(W2, compute_uv=False))[::-1]
    np.testing.assert_allclose(got_sv, best.singular_values, atol=1e-5)
    np.testing.assert_allclose(W1, W2.T, atol=1e-5)  # balanced: W1 = W2^T at the minimizer
    np.testing.assert_allclose(W2 @ W1, best.W2 @ best.W1, atol=1e-5)  # the product is unique
    assert ref.objective(X, W1, W2, lam) == pytest.approx(best.loss, rel=1e-9)
    assert ref.objective(X, best.W1, best.W2, lam) == pytest.approx(best.loss, rel=1e-12)


def test_a_direction_weaker_than_lam_gets_a_zero_column():
    X = random_data(3)
    s, _ = ref.spectrum(X)
    lam = float(s[1] + s[2]) / 2  # the third eigenvalue is below lam, the second above
    assert s[2] < lam < s[1]
    best = ref.minimizer(X, 3, lam)
    assert best.singular_values[2] == 0.0
    assert np.linalg.norm(best.W2[:, 2]) == 0.0
    W1, W2 = gradient_descent(X, 3, lam, seed=3)
    assert np.linalg.svd(W2, compute_uv=False).min() < 1e-4


def test_the_optimum_is_the_same_for_every_rotation_and_below_perturbations():
    X = random_data(4)
    k, lam = 2, 0.25
    rng = np.random.default_rng(0)
    O, _ = np.linalg.qr(rng.standard_normal((k, k)))
    rotated = ref.minimizer(X, k, lam, rotation=O)
    assert ref.objective(X, rotated.W1, rotated.W2, lam) == pytest.approx(rotated.loss, rel=1e-12)
    for _ in range(20):
        d1, d2 = 1e-3 * rng.standard_normal((k, 5)), 1e-3 * rng.standard_normal((5, k))
        assert ref.objective(X, rotated.W1 + d1, rotated.W2 + d2, lam) > rotated.loss


def test_without_penalty_the_optimum_is_the_pca_residual():
    X = random_data(5)
    s, _ = ref.spectrum(X)
    assert ref.optimum_loss(X, 2, 0.0) == pytest.approx(float(np.sum(s[2:])), rel=1e-12)
    np.testing.assert_allclose(ref.minimizer(X, 2, 0.0).singular_values, [1.0, 1.0])


@pytest.mark.parametrize("factor", [1.0, 0.5, 2.0, 6.0])
def test_effective_lambda_recovers_the_lam_of_a_minimizer(factor):
    case = sample_case(np.random.default_rng(7), m=6, k=3, n=200)
    lam = case.lam * factor
    best = ref.minimizer(case.X, case.k, lam)
    eff = ref.effective_lambda(case.X, best.W2)
    assert eff.exact
    assert eff.value == pytest.approx(lam, rel=1e-9)
    # With lam * 6 some directions switch off; the estimate uses the others only.
    assert eff.used == int(np.sum(best.singular_values > ref.ZERO_SINGULAR_VALUE))


def test_effective_lambda_of_zero_weights_is_only_a_lower_bound():
    case = sample_case(np.random.default_rng(8), m=6, k=3, n=200)
    eff = ref.effective_lambda(case.X, np.zeros((6, 3)))
    s, _ = ref.spectrum(case.X)
    assert not eff.exact and eff.used == 0
    assert eff.value == pytest.approx(s[0])


def test_minimizer_rejects_bad_sizes():
    X = random_data(0)
    with pytest.raises(ValueError, match="k must be"):
        ref.minimizer(X, 0, 0.1)
    with pytest.raises(ValueError, match="lam must be"):
        ref.minimizer(X, 2, -0.1)


@pytest.mark.parametrize("seed", range(5))
def test_sampled_data_have_the_designed_spectrum(seed):
    case = sample_case(np.random.default_rng(seed), m=8, k=2, n=240)
    assert case.X.dtype == np.float32 and case.X.shape == (8, 240)
    s, U = ref.spectrum(case.X)
    assert 1.6 - 0.5 <= s[1] and s[0] <= 3.6 + 0.5 and s[0] > s[1]
    assert s[2] <= 0.5 + 1e-4 and s[-1] >= 0.05 - 1e-4
    # The mean lies along the top eigenvector: a model with a bias fits another problem.
    mean = case.X.astype(np.float64).mean(axis=1)
    assert abs(abs(mean @ U[:, 0]) - np.sqrt(s[0])) < 1e-3
    assert np.linalg.norm(mean - (mean @ U[:, 0]) * U[:, 0]) < 1e-3
    # lam/2 and lam*m both move some singular value by more than the 2e-2 tolerance.
    right = ref.optimal_singular_values(s[:2], case.lam)
    for wrong in (case.lam / 2, case.lam * 8):
        assert np.max(np.abs(ref.optimal_singular_values(s[:2], wrong) - right)) > 2e-2
