"""The pca_autoencoder claims run in-process on fake answers: scores per part and who passes what."""
from __future__ import annotations

import numpy as np
import pytest

from grader.errors import FormatError, NearMiss, NotAnswered, Partial, StudentFault, Wrong
from problems.pca_autoencoder import PROBLEM
from tests.fakes import FakeAnswers, call_claim
from problems.pca_autoencoder import checks as C

CLAIMS = [f for f in vars(C).values() if callable(f) and hasattr(f, "__claim__")]


def run_claim(fn, answers, seed=0):
    """Run one claim: the fraction of its points earned and the message (None when passed)."""
    kwargs = {"rng": np.random.default_rng(seed)} if "rng" in fn.__code__.co_varnames[:fn.__code__.co_argcount] else {}
    try:
        fn(answers, **kwargs)
        return 1.0, None
    except Partial as p:
        return p.fraction, p.message
    except StudentFault as e:
        return 0.0, e.message


def part_score(part, answers, seed=0):
    """The points a part earns over all its claims."""
    return sum(fn.__claim__.points * run_claim(fn, answers, seed)[0] for fn in CLAIMS if fn.__claim__.part == part)


def test_claim_points_add_up_to_part_points():
    for part in PROBLEM.parts:
        total = sum(fn.__claim__.points for fn in CLAIMS if fn.__claim__.part == part.name)
        assert total == part.points, part.name
    assert [p.points for p in PROBLEM.parts] == [3, 3, 4, 4, 4, 0]  # derivations: 0 unless a course gives points


def test_some_pca_claims_are_hidden():
    vis = {fn.__claim__.visibility for fn in CLAIMS if fn.__claim__.part == "pca_weights"}
    assert vis == {"public", "hidden"}


@pytest.mark.parametrize("answer,score", [
    ("2*W2.T*(W2*W1 - I)*X*X.T", 3),
    (r"2W_2^\top (W_2 W_1 - I) X X^\top", 3),
    ("-2 W2' X X' + 2 W2' W2 W1 X X'", 3),
    # A gradient is right or wrong as a whole: near misses earn 0 by default (a course config may credit them).
    ("W2.T*(W2*W1 - I)*X*X.T", 0),  # factor
    ("-2*W2.T*(W2*W1 - I)*X*X.T", 0),  # sign
    ("2*X*X.T*(W1.T*W2.T - I)*W2", 0),  # transpose
    ("W2.T", 0),  # k×m like W1: the right shape earns nothing (it used to earn 1 of 3)
    ("2*W2.T*(W2*W1 - I)*X.T*X", 0),  # XᵀX
    ("2*(W2*W1 - I)*X*X.T*W1.T", 0),  # the other gradient
    ("0*W1", 0),  # shaped right, nothing else
    ("1.0001*2*W2.T*(W2*W1 - I)*X*X.T", 0),  # a near miss is a factor, not a pass
    ("2*W2.T*(W2*W1 - I*X*X.T", 0),  # does not parse
])
def test_grad_w1_scores(answer, score):
    assert part_score("grad_W1", FakeAnswers({"grad_W1": answer})) == score


@pytest.mark.parametrize("answer,kind", [
    ("W2.T*(W2*W1 - I)*X*X.T", NearMiss),
    ("-2*W2.T*(W2*W1 - I)*X*X.T", NearMiss),
    ("2*X*X.T*(W1.T*W2.T - I)*W2", NearMiss),
    ("X*X.T*(W1.T*W2.T - I)*W2", NearMiss),  # a transpose and a factor
    ("W2.T", Wrong),
    ("2*(W2*W1 - I)*X*X.T*W1.T", FormatError),  # the shape of W2: the shape claim's format error gates
    ("2*W2.T*(W2*W1 - I)*X.T*X", FormatError),
])
def test_what_the_value_claim_raises(answer, kind):
    with pytest.raises(StudentFault) as err:
        C.grad_w1_equals_the_true_gradient(FakeAnswers({"grad_W1": answer}))
    assert type(err.value) is kind


def test_the_shape_claims_only_gate():
    for fn in (C.grad_w1_is_shaped_like_w1, C.grad_w2_is_shaped_like_w2, C.pca_weights_returns_matrices_of_the_right_shapes):
        assert fn.__claim__.points == 0


def test_a_wrong_form_fails_the_paying_claim_with_the_same_format_error():
    for answer in ("2*W2.T*(W2*W1 - I)*X.T*X", "2*W2.T*(W2*W1 - I*X*X.T", "2W_2^\\top (W_2 W_1 - I) X X^\\top W_2", 3):
        answers = FakeAnswers({"grad_W1": answer})
        with pytest.raises(FormatError) as gate:
            C.grad_w1_is_shaped_like_w1(answers)
        with pytest.raises(FormatError) as paying:
            C.grad_w1_equals_the_true_gradient(answers)
        assert paying.value.message == gate.value.message


@pytest.mark.parametrize("conditions,score", [
    (["W2.T*(W2*W1 - I)*X*X.T = 0", "(W2*W1 - I)*X*X.T*W1.T = 0"], 4),
    ([r"W_2^\top W_2 W_1 X X^\top = W_2^\top X X^\top", r"W_2 W_1 X X^\top W_1^\top = X X^\top W_1^\top"], 4),
    (["0 = -1/2 X X^T (W1^T W2^T - I) W2", "W1 X X^T (W1^T W2^T - I) = 0"], 4),  # transposed, reordered
    (["W2.T*(W2*W1 - I)*X*X.T = 0", "W2.T*(W2*W1 - I)*X*X.T = 0"], 2),  # the same one twice
    (("W2.T*(W2*W1 - I)*X*X.T = 0", "(W2*W1 - I)*X*X.T*W1.T = 0"), 0),  # a tuple is not the list asked for
    (["W2.T*(W2*W1 - I)*X*X.T = 0", "W2 W1 X = X"], 2),
    (["W2.T*(W2*W1 - I)*X.T*X = 0", "(W2*W1 - I)*X*X.T*W1.T = 0"], 2),
    (["W1 = W1", "W2 = W2"], 0),
    (["W2.T*(W2*W1 - I)*X*X.T = 0"], 0),  # one condition only: a format error
])
def test_first_order_condition_scores(conditions, score):
    assert part_score("first_order_conditions", FakeAnswers({"first_order_conditions": conditions})) == score


def _eig(X):
    vals, vecs = np.linalg.eigh(X @ X.T)
    return vecs[:, np.argsort(vals)[::-1]]


def pca_good(X, k):
    """The PCA solution."""
    U = _eig(X)[:, :k]
    return U.T, U


def pca_signs_flipped(X, k):
    """The PCA solution with every other column negated."""
    U = _eig(X)[:, :k] * np.where(np.arange(k) % 2 == 0, -1.0, 1.0)
    return U.T, U


def pca_bottom(X, k):
    """Eigenvectors of the k smallest eigenvalues: a critical point, not the minimum."""
    U = _eig(X)[:, -k:]
    return U.T, U


def pca_mixed(X, k):
    """A minimum that is not orthonormal: W1 = A U_kᵀ, W2 = U_k A⁻¹."""
    U = _eig(X)[:, :k]
    A = np.eye(k) + np.triu(np.ones((k, k)), 1)
    return A @ U.T, U @ np.linalg.inv(A)


def pca_gram_of_samples(X, k):
    """Eigenvectors of XᵀX (n-dimensional): the wrong Gram matrix."""
    vals, vecs = np.linalg.eigh(X.T @ X)
    V = vecs[:, np.argsort(vals)[::-1][:k]]
    return V.T, V


def pca_zero(X, k):
    """W1 = W2 = 0: a critical point (a saddle)."""
    return np.zeros((k, X.shape[0])), np.zeros((X.shape[0], k))


def pca_random_orthonormal(X, k):
    """Tied and orthonormal, but not eigenvectors."""
    Q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((X.shape[0], k)))
    return Q.T, Q


def pca_list(X, k):
    """The PCA solution as a list, not the tuple the contract asks for."""
    return list(pca_good(X, k))


def pca_raises(X, k):
    """Crashes."""
    raise np.linalg.LinAlgError("did not converge")


@pytest.mark.parametrize("fn,score", [
    (pca_good, 4), (pca_signs_flipped, 4), (pca_bottom, 2), (pca_mixed, 3), (pca_gram_of_samples, 0),
    # W1 = W2 = 0 and a random orthonormal Q are a critical point and tied-orthonormal only in form: 0.
    (pca_zero, 0), (pca_random_orthonormal, 0), (pca_raises, 0), (pca_list, 0),
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pca_weights_scores(fn, score, seed):
    assert part_score("pca_weights", FakeAnswers({"pca_weights": fn}), seed) == pytest.approx(score)


@pytest.mark.parametrize("text,score", [("", 0), ("because eigenvectors", 0), (" ".join(["word"] * 40), 4)])
def test_pca_argument_length_check(text, score):
    assert part_score("pca_argument", FakeAnswers({"pca_argument": text})) == score


def test_missing_answers_are_not_answered():
    for fn in CLAIMS:
        with pytest.raises(NotAnswered):
            call_claim(fn, FakeAnswers({}), rng=np.random.default_rng(0), reveal=False, pass_note=lambda note: None)
