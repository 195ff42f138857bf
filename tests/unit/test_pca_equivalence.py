"""Randomized equivalence and slip diagnosis for pca_autoencoder, and the sympy-derived reference."""
import numpy as np
import pytest

from grader.errors import FormatError

from problems.pca_autoencoder import matexpr as M
from problems.pca_autoencoder.checks import references
from problems.pca_autoencoder.equivalence import diagnose, draws, first_broken_step, ratio, same, show_factor, values
from reference import pca_autoencoder as ref


def typed(text, fit=None):
    """Parse and shape-check `text`."""
    return M.typecheck(M.parse(text), text, fit)


def test_reference_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    W1, W2, X = rng.standard_normal((2, 5)), rng.standard_normal((5, 2)), rng.standard_normal((5, 7))
    sizes = {"m": 5, "n": 7, "k": 2}
    env = {"W1": W1, "W2": W2, "X": X}
    refs = references()
    for name, W in (("grad_W1", W1), ("grad_W2", W2)):
        analytic = M.evaluate(refs[name].typed.tree, env, sizes)
        numeric = np.zeros_like(W)
        eps = 1e-6
        for idx in np.ndindex(*W.shape):
            W[idx] += eps
            up = ref.loss(W1, W2, X)
            W[idx] -= 2 * eps
            down = ref.loss(W1, W2, X)
            W[idx] += eps
            numeric[idx] = (up - down) / (2 * eps)
        assert np.allclose(analytic, numeric, rtol=1e-5, atol=1e-5), name


def test_reference_gradients_are_derived_with_the_weights_shapes():
    refs = references()
    assert refs["grad_W1"].shape == ("k", "m")
    assert refs["grad_W2"].shape == ("m", "k")


def test_draws_have_distinct_sizes_with_k_below_m():
    for d in draws():
        m, n, k = d.sizes["m"], d.sizes["n"], d.sizes["k"]
        assert k < m < n
    assert len({tuple(d.sizes.values()) for d in draws()}) > 1


EQUAL = [
    ("2*W2.T*(W2*W1 - I)*X*X.T", "-2*W2.T*X*X.T + 2*W2.T*W2*W1*X*X.T"),
    ("(W2 W1 - I)^T", "W1^T W2^T - I"),
    ("X X^T W1^T", "(W1 X X^T)^T"),
    ("1/2 W1 + 1/2 W1", "W1"),
    ("W2 (W1 X)", "(W2 W1) X"),
    ("(W2 W1 - I)(W2 W1 - I)", "W2 W1 W2 W1 - 2 W2 W1 + I"),
    # Traces: the cyclic property, the transpose, and the loss expanded.
    ("tr(W1 W2)", "tr(W2 W1)"),
    ("tr(X.T W2 W1 X)", "tr(W1 X X.T W2)"),
    ("tr(X.T W1.T W2.T W2 W1 X)", "tr(W2.T W2 W1 X X.T W1.T)"),
    ("tr(W2 W1 X X.T)", "tr((W2 W1 X X.T).T)"),
    ("tr(W2 W1 X X.T)", "tr(W1.T W2.T X X.T)"),  # tr(AᵀS) = tr(AS) for a symmetric S
    (r"\|X - W_2 W_1 X\|_F^2", "tr(X.T X) - 2 tr(X.T W2 W1 X) + tr(X.T W1.T W2.T W2 W1 X)"),
    ("tr(W2 W1 - I)", "tr(W1 W2) - tr(I_m)"),
    ("tr(W1 W2) W1", "W1 tr(W2 W1)"),
]
NOT_EQUAL = [
    ("2*W2.T*(W2*W1 - I)*X*X.T", "W2.T*(W2*W1 - I)*X*X.T"),
    ("W2 W1 X", "X"),
    ("W1 W2", "W2.T W1.T"),
    ("(W2 W1 - I)^T", "W2 W1 - I"),  # W2W1 is not symmetric
    ("X X^T W1^T", "W1^T"),
    ("1.000001 W1", "W1"),  # a near miss: the tolerance is relative and tight
    ("W2 W1 + 0.000001 I", "W2 W1"),
    # A permutation of the factors that is not cyclic changes the trace (AᵀA ≠ AAᵀ for A = W2 W1).
    ("tr(W2 W1 X X.T W1.T W2.T)", "tr(W2 W1 W1.T W2.T X X.T)"),
    ("tr(W2 W1 X X.T)", "tr(W1 W2 W1 W2)"),
    ("2 tr(X.T W2 W1 X)", "tr(X.T W2 W1 X)"),
    ("tr(W2 W1)", "W2 W1"),  # a number is not a matrix, whatever the values
    ("tr(W1 W2)", "tr(I_k)"),
]


@pytest.mark.parametrize("a,b", EQUAL)
def test_equal_pairs(a, b):
    assert same(typed(a), typed(b))


@pytest.mark.parametrize("a,b", NOT_EQUAL)
def test_unequal_pairs(a, b):
    ta, tb = typed(a), typed(b)
    assert not same(ta, tb)


@pytest.mark.parametrize("text,factor", [
    ("W2.T*(W2*W1 - I)*X*X.T", 0.5),
    ("-2*W2.T*(W2*W1 - I)*X*X.T", -1.0),
    ("2*W2.T*(I - W2*W1)*X*X.T", -1.0),
    ("6*W2.T*(W2*W1 - I)*X*X.T", 3.0),
])
def test_ratio_names_the_scalar_factor(text, factor):
    target = references()["grad_W1"].typed
    assert ratio(values(typed(text, ("k", "m"))), values(target)) == pytest.approx(factor)


def test_ratio_is_none_when_not_proportional():
    target = references()["grad_W1"].typed
    assert ratio(values(typed("W2.T*W2*W1*X*X.T")), values(target)) is None


@pytest.mark.parametrize("c,text", [(0.5, "1/2"), (-1.0, "-1"), (2 / 3, "2/3"), (np.pi, "3.142")])
def test_show_factor(c, text):
    assert show_factor(c) == text


@pytest.mark.parametrize("text,diagnosis", [
    ("2*W2.T*(W2*W1 - I)*X.T*X", "it has XᵀX where XXᵀ belongs: fixed, it equals ∂L/∂W1"),
    ("2*W1.T*(W1*W2 - I)*X*X.T", "W1 and W2 are swapped: fixed, it equals ∂L/∂W1"),
    ("2*X*X.T*(W1.T*W2.T - I)*W2", "your expression is the transpose of ∂L/∂W1"),
    ("2*(W2*W1 - I)*X*X.T*W1.T", "your expression equals ∂L/∂W2: did you mix up the two gradients?"),
    ("W2.T*(W2*W1 - I)*X.T*X", "it has XᵀX where XXᵀ belongs: fixed, it equals 1/2 × ∂L/∂W1"),
    ("W1 + W2.T", None),
])
def test_diagnose_names_the_slip(text, diagnosis):
    refs = references()
    assert diagnose(M.parse(text), text, refs["grad_W1"], (refs["grad_W2"],)) == diagnosis


def test_reference_pca_weights_reach_the_minimum():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 11))
    W1, W2 = ref.pca_weights(X, 2)
    assert ref.loss(W1, W2, X) == pytest.approx(ref.min_loss(X, 2), rel=1e-10)
    assert np.allclose(W2.T @ W2, np.eye(2))


@pytest.mark.parametrize("chain,step", [
    (r"2W_2^\top (W_2 W_1 - I) X X^\top = 2W_2^\top W_2 W_1 X X^\top - 2W_2^\top X X^\top", None),
    ("2 W2' (W2 W1 - I) X X' = 2 W2' W2 W1 X X' - 2 W2' X X' = 2 W2' W2 W1 X X' - W2' X X'", 2),
    ("(W2 W1)^T = W2^T W1^T", 1),  # the factors must swap: W2ᵀW1ᵀ is k×k, not m×m
    ("(W2 W1 X)^T = X^T W1^T W2^T", None),
    ("(W2 W1 X)^T = X^T W2^T W1^T", 1),  # the second side does not even multiply
    ("W2 W1 - I = (W2 W1 - I)^T", 1),  # same shape (m×m), but W2 W1 is not symmetric
    ("W2 W1 - I = (W1^T W2^T - I)^T = W2 W1 - I_m", None),
    # The cyclic property, and the transcript's slip: a shift that kept W2ᵀ, so the right side does not multiply.
    (r"\text{tr}(X^\top W_1^\top W_2^\top W_2 W_1 X) = \text{tr}(W_2^\top W_2 W_1 X X^\top W_1^\top)", None),
    (r"\text{tr}(X^\top W_2 W_1 X) = \text{tr}(W_1 X X^\top W_2^\top)", 1),
    (r"\text{tr}(X^\top W_2 W_1 X) = \text{tr}(W_1 X X^\top W_2)", None),
    ("tr(X' W2 W1 X) = tr(W1 X X' W2) = tr(W2 W1 X X') = tr(W1 W2 X X')", 3),
    (r"\|X - W_2 W_1 X\|_F^2 = tr(X'X) - 2 tr(W1 X X' W2) + tr(X' W1' W2' W2 W1 X)", None),
    ("tr(W2 W1) = W2 W1", 1),  # a number against a matrix
])
def test_first_broken_step_of_a_chain(chain, step):
    assert first_broken_step(chain) == step


def test_the_reference_loss_is_read_from_its_sympy_trace():
    loss = M.typecheck(M.from_sympy(ref.loss_expr()), "")
    assert loss.shape is None
    for d, v in zip(draws(), values(loss)):
        assert v == pytest.approx(ref.loss(d.env["W1"], d.env["W2"], d.env["X"]), rel=1e-12)


def test_a_chain_segment_that_does_not_parse_is_a_format_error():
    with pytest.raises(FormatError) as e:
        first_broken_step("W1 = W1 +")
    assert e.value.message.splitlines()[0] == "cannot read this expression: it ends too early"
