"""Judging trained weights (W1, W2) against the closed-form minimizer of objective (6).

Three criteria, each worth a share of a train claim:
- the singular values of W2 equal sqrt(1 - lam / s_i) within SV_TOL;
- W1 = W2^T (the penalty balances the two factors) within BALANCE_TOL, for a W2
  whose columns span the top eigenvectors (balanced random factors earn nothing);
- objective (6) at (W1, W2) is within LOSS_RTOL (relative) of the optimum.
When the singular values are off, the lam they imply is computed and compared
with the classic scaling mistakes, which are named.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reference import regularized_autoencoder as ref

SV_TOL = 2e-2
# ||W1 - W2^T||_F / ||W2*||_F. Converged trainers, minibatch ones included, stay
# below 5e-3; a model that kept its biases lands at 5e-2 to 8e-2.
BALANCE_TOL = 3e-2
LOSS_RTOL = 1e-3
# Weights smaller than this fraction of the minimizer's norm count as "not trained":
# W1 = W2^T = 0 is balanced, but earns nothing for it.
TRIVIAL_NORM = 0.1
# How close lam_eff / lam must be to a mistake's ratio for the mistake to be named.
RATIO_MATCH = math.log(1.1)
# A lam_eff is only meaningful when W2's columns span the top eigenvectors (within
# this angle) and one lam explains every singular value (within FIT_TOL on sigma^2).
ALIGN_DEG = 10.0
FIT_TOL = 2e-2

# Shares of a train claim's points (they sum to 1).
SHARE_SINGULAR_VALUES = 0.4
SHARE_BALANCE = 0.2
SHARE_LOSS = 0.4


@dataclass(frozen=True)
class Mistake:
    """A classic scaling mistake: the factor it multiplies lam by, and what it is."""

    ratio: float
    explanation: str


def scaling_mistakes(m: int) -> tuple[Mistake, ...]:
    """The scaling mistakes we can name, for data of dimension m (their ratios are distinct for m >= 5)."""
    return (
        Mistake(float(m), "nn.MSELoss() averages over the m = {m} coordinates as well as over the samples, so with "
                          "weight_decay=2*lam training minimizes (6) divided by m, i.e. with lam*m in place of lam. "
                          "Use weight_decay=2*lam/m with nn.MSELoss(), or sum the squared error over the coordinates "
                          "(average over the samples) with weight_decay=2*lam."),
        Mistake(0.5, "weight_decay=w adds w*W to the gradient, which is the gradient of (w/2)*||W||_F^2, so "
                     "weight_decay=lam penalizes only (lam/2)*||W||_F^2. With the squared error summed over the "
                     "coordinates and averaged over the samples, use weight_decay=2*lam."),
        Mistake(m / 2, "nn.MSELoss() averages over the m = {m} coordinates too, and weight_decay=lam penalizes "
                       "(lam/2)*||W||_F^2: both scalings at once give lam*m/2. Use weight_decay=2*lam/m with "
                       "nn.MSELoss()."),
        Mistake(2.0, "the penalty is counted twice (e.g. lam*(||W1||^2 + ||W2||^2) added to the loss and "
                     "weight_decay=2*lam as well), or weight_decay=4*lam."),
        Mistake(1.0 / m, "weight_decay=2*lam/m is the right value for nn.MSELoss() (mean over the m = {m} "
                         "coordinates), but your loss sums over the coordinates: use weight_decay=2*lam with it."),
    )


@dataclass(frozen=True)
class Assessment:
    """How trained weights compare with the minimizer, criterion by criterion, with messages."""

    singular_values_ok: bool
    balance_ok: bool
    loss_ok: bool
    lam_eff: ref.EffectiveLambda
    mistake: Mistake | None
    lines: tuple[str, ...]  # one message line per failed criterion (and the diagnosis)

    @property
    def fraction(self) -> float:
        """The share of the claim's points earned."""
        return (SHARE_SINGULAR_VALUES * self.singular_values_ok + SHARE_BALANCE * self.balance_ok
                + SHARE_LOSS * self.loss_ok)

    @property
    def passed(self) -> bool:
        """All three criteria hold."""
        return self.singular_values_ok and self.balance_ok and self.loss_ok


def fmt(values) -> str:
    """An array as a short list with 3 decimals, for messages."""
    return "[" + ", ".join(f"{v:.3f}" for v in np.asarray(values, dtype=np.float64).ravel()) + "]"


def fmt_ratio(r: float) -> str:
    """A ratio such as 6, 0.5 or 1/6 written readably."""
    if r >= 1 or r <= 0:
        return f"{r:.3g}"
    return f"1/{1 / r:.3g}"


def match_mistake(ratio: float, m: int) -> Mistake | None:
    """The classic mistake whose lam factor is within 10 % of `ratio`, if any."""
    if not ratio > 0:
        return None
    for mistake in scaling_mistakes(m):
        if abs(math.log(ratio / mistake.ratio)) < RATIO_MATCH:
            return mistake
    return None


def diagnosis(X: np.ndarray, W2: np.ndarray, lam: float) -> tuple[ref.EffectiveLambda, Mistake | None, str]:
    """The lam that W2's singular values imply, the mistake it matches (if any), and a line saying so."""
    m = X.shape[0]
    eff = ref.effective_lambda(X, W2)
    if not eff.exact:
        return eff, None, (f"Every singular value of W2 is about 0: that is the minimizer for any lam >= "
                           f"{eff.value:.3g} (the largest eigenvalue of X X^T / n), at least "
                           f"{fmt_ratio(eff.value / lam)} times the lam = {lam:g} you were given; or training never "
                           f"moved away from 0.")
    s, U = ref.spectrum(X)
    sigma = np.sort(np.linalg.svd(W2, compute_uv=False))[::-1]
    angle = alive_subspace_angle_deg(W2, U)
    if angle > ALIGN_DEG:
        # The singular values belong to other directions: no lam explains them.
        return eff, None, (f"The columns of W2 are {angle:.0f} degrees away from the top eigenvectors of X X^T / n, "
                           f"so no choice of lam explains these weights: the model is not (6) (a bias? centered "
                           f"data? (6) has neither), or training has not converged.")
    k = len(sigma)
    predicted = ref.optimal_singular_values(s[:k], eff.value) ** 2
    misfit = float(np.max(np.abs(predicted - sigma ** 2)))
    ratio = eff.value / lam
    line = (f"These singular values are closest to those of the minimizer of (6) for lam_eff = {eff.value:.4g}, "
            f"{fmt_ratio(ratio)} times the lam = {lam:g} you were given.")
    if misfit > FIT_TOL:
        return eff, None, line + (" No single lam fits them well, though (off by up to "
                                  f"{misfit:.2g} in sigma^2): the model is not (6) (a bias?), or training "
                                  f"has not converged.")
    if ratio > 0 and abs(math.log(ratio)) < RATIO_MATCH:
        return eff, None, line + " That is close to the right lam: train longer or end with a smaller learning rate."
    mistake = match_mistake(ratio, m)
    if mistake is not None:
        line += f" That is the classic mistake (lam x {fmt_ratio(mistake.ratio)}): " + mistake.explanation.format(m=m)
    return eff, mistake, line


def alive_subspace_angle_deg(W2: np.ndarray, U: np.ndarray) -> float:
    """The largest angle between W2's left singular vectors (non-zero singular values) and as many top eigenvectors."""
    left, sigma, _ = np.linalg.svd(np.asarray(W2, dtype=np.float64), full_matrices=False)
    j = int(np.sum(sigma > ref.ZERO_SINGULAR_VALUE))
    return subspace_angle_deg(left[:, :j], U[:, :j]) if j else 0.0


def subspace_angle_deg(W2: np.ndarray, Uk: np.ndarray) -> float:
    """The largest principal angle, in degrees, between the column space of W2 and span(U_k)."""
    Q, _ = np.linalg.qr(np.asarray(W2, dtype=np.float64))
    cosines = np.linalg.svd(Uk.T @ Q, compute_uv=False)
    return float(np.degrees(np.arccos(np.clip(cosines.min(), -1.0, 1.0))))


def assess(X: np.ndarray, k: int, lam: float, W1: np.ndarray, W2: np.ndarray) -> Assessment:
    """Compare (W1, W2), already of shapes (k, m) and (m, k), with the minimizer of (6) for (X, k, lam)."""
    W1 = np.asarray(W1, dtype=np.float64)
    W2 = np.asarray(W2, dtype=np.float64)
    best = ref.minimizer(X, k, lam)
    lines = []

    got_sv = np.sort(np.linalg.svd(W2, compute_uv=False))[::-1]
    gap = float(np.max(np.abs(got_sv - best.singular_values)))
    sv_ok = gap <= SV_TOL
    eff, mistake = ref.effective_lambda(X, W2), None
    if not sv_ok:
        lines.append(f"Singular values of W2: expected {fmt(best.singular_values)} = sqrt(1 - lam/s_i) with s_i = "
                     f"{fmt(best.eigenvalues)} the top-{k} eigenvalues of X X^T / n; got {fmt(got_sv)} "
                     f"(off by up to {gap:.3f} > {SV_TOL}).")
        eff, mistake, line = diagnosis(X, W2, lam)
        lines.append(line)

    ref_norm = float(np.linalg.norm(best.W2))
    imbalance = float(np.linalg.norm(W1 - W2.T)) / ref_norm if ref_norm > 0 else float(np.linalg.norm(W1 - W2.T))
    trivial = ref_norm > 0 and float(np.linalg.norm(W2)) < TRIVIAL_NORM * ref_norm
    # W1 = W2^T is a property of trained weights only where W2 spans the top eigenvectors: any orthonormal Q
    # gives W1 = Q^T, W2 = Q, balanced without any training.
    stray = alive_subspace_angle_deg(W2, best.eigenvectors)
    balance_ok = imbalance <= BALANCE_TOL and not trivial and stray <= ALIGN_DEG
    if trivial:
        lines.append("W2 is about 0, so W1 = W2^T holds trivially and earns nothing.")
    elif imbalance <= BALANCE_TOL and not balance_ok:
        lines.append(f"W1 = W2^T holds, but the columns of W2 are {stray:.0f} degrees away from the top-{k} "
                     f"eigenvectors of X X^T / n: balanced factors that do not fit the data are not the minimizer, "
                     f"so this earns nothing.")
    elif not balance_ok:
        lines.append(f"At the minimizer W1 = W2^T (the penalty balances the two factors); got "
                     f"||W1 - W2^T||_F / ||W2*||_F = {imbalance:.3g} > {BALANCE_TOL}.")

    loss = ref.objective(X, W1, W2, lam)
    rel = (loss - best.loss) / best.loss
    loss_ok = abs(rel) <= LOSS_RTOL
    if not loss_ok:
        line = (f"Objective (6) at your (W1, W2): {loss:.6g}; the optimum is {best.loss:.6g} "
                f"(relative gap {rel:.2e}, tolerance {LOSS_RTOL:g}).")
        # With the right singular values, a high loss means the wrong directions
        # (the diagnosis above already says so when the singular values are off).
        angle = alive_subspace_angle_deg(W2, best.eigenvectors) if sv_ok else 0.0
        if angle > ALIGN_DEG / 2:
            line += (f" The singular values are right, but the columns of W2 are {angle:.0f} degrees away from "
                     f"the top-{k} eigenvectors of X X^T / n ((6) has no bias and does not center X).")
        lines.append(line)
    return Assessment(sv_ok, balance_ok, loss_ok, eff, mistake, tuple(lines))
