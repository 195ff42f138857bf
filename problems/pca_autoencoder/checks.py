"""Claims for Q3b: gradients and first-order conditions of the linear autoencoder, and PCA weights.

Expressions are read by `matexpr` (a Lark grammar, never evaluated as Python)
and judged by what they mean: random evaluation against the reference
gradients, which sympy derives from the loss in `reference/pca_autoencoder.py`.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from grader.claims import claim
from grader.errors import ConfigError, FormatError, Wrong
from grader.types import Array, ListOf, STR, TupleOf, short_repr
from problems.pca_autoencoder import matexpr
from problems.pca_autoencoder.equivalence import (
    Reference, counterexample, diagnose, is_zero, ratio, residual, slip, transposed, values,
)
from reference import pca_autoencoder as ref

NAMES = {"grad_W1": "∂L/∂W1", "grad_W2": "∂L/∂W2"}
SHAPE_OF = {"grad_W1": ("W1", ("k", "m")), "grad_W2": ("W2", ("m", "k"))}


@lru_cache(maxsize=None)
def references() -> dict:
    """The sympy-derived gradients as typed trees, by part name."""
    out = {}
    for part, expr in ref.gradients().items():
        tree = matexpr.from_sympy(expr)
        out[part] = Reference(NAMES[part], matexpr.typecheck(tree, "", SHAPE_OF[part][1]))
    return out


def _other(part: str) -> str:
    return "grad_W2" if part == "grad_W1" else "grad_W1"


def normalized_answer(part: str, value) -> str | None:
    """The class report's grouping key for a wrong answer: each expression parsed and printed one way."""
    try:
        if part in NAMES and type(value) is str:
            return matexpr.to_text(matexpr.parse_answer(matexpr.repair_escapes(value)))
        if part == "first_order_conditions" and type(value) in (list, tuple) and all(type(v) is str for v in value):
            sides = [matexpr.parse_equation(matexpr.repair_escapes(v)) for v in value]
            return "; ".join(f"{matexpr.to_text(e.lhs)} = {matexpr.to_text(e.rhs)}" for e in sides)
    except ConfigError:  # a node the printer does not know: the report shows the answer as written
        return None
    return None


# ---------------------------------------------------------------- gradients

def read_gradient(answers, part: str, require_shape: bool = True):
    """Parse and shape-check a gradient answer: (tree, text, typed).

    With `require_shape`, a shape other than that of the weight is a
    FormatError naming both shapes and, when one fits, the slip behind it.
    """
    text = matexpr.repair_escapes(answers.value(part, STR))
    tree = matexpr.parse_answer(text)
    weight, want = SHAPE_OF[part]
    refs = references()
    try:
        typed = matexpr.typecheck(tree, text, want)
    except FormatError as e:
        # The products or sums do not fit; a known slip (XᵀX for XXᵀ, W1 and W2 swapped) often explains why.
        why = diagnose(tree, text, refs[part], (refs[_other(part)],))
        raise FormatError(e.message + (f"\n{why}" if why else "")) from None
    if require_shape and typed.shape != want:
        hint = " — a transpose?" if typed.shape == (want[1], want[0]) else ""
        if typed.shape is None and matexpr.has_trace(typed.tree):
            hint = " (a trace is a number): is this the loss rather than its gradient?"
        message = (f"{NAMES[part]} has the shape of {weight}, {matexpr.show_shape(want)}; "
                   f"yours is {matexpr.show_shape(typed.shape)}{hint}")
        why = diagnose(tree, text, refs[part], (refs[_other(part)],))
        raise FormatError(message + (f"\n{why}" if why else ""))
    return tree, text, typed


def _shaped_like_weight(answers, part):
    read_gradient(answers, part)


def _zero_where_gradient_is(answers, part):
    tree, text, typed = read_gradient(answers, part, require_shape=False)
    refs = references()
    target = refs[part]
    for candidate in (target, transposed(target)):
        if typed.shape == candidate.shape:
            c = ratio(values(typed), values(candidate.typed))
            if c is not None and c != 0:
                return
    why = diagnose(tree, text, target, (refs[_other(part)],))
    raise Wrong(f"your expression is not a nonzero multiple of {target.name} (nor of its transpose), "
                f"so setting it to zero gives a different condition" + (f"\n{why}" if why else ""),
                got=matexpr.to_text(typed.tree))


def _equals_gradient(answers, part):
    tree, text, typed = read_gradient(answers, part)
    refs = references()
    target = refs[part]
    c = ratio(values(typed), values(target.typed))
    if c is not None and abs(c - 1) <= 1e-9:
        return
    if c is not None and c != 0:
        raise Wrong(slip(c, target.name), got=matexpr.to_text(typed.tree))
    if c == 0:
        raise Wrong(f"your expression is zero for every W1, W2 and X; {target.name} is not",
                    got=matexpr.to_text(typed.tree))
    why = diagnose(tree, text, target, (refs[_other(part)],))
    raise Wrong(f"your expression does not equal {target.name}" + (f": {why}" if why else ""),
                got=matexpr.to_text(typed.tree), counterexample=counterexample(typed, target))


@claim("grad_W1", points=1, description="is a matrix expression of the shape of W1 (k×m)")
def grad_w1_is_shaped_like_w1(answers):
    """∂L/∂W1 reads as a k×m matrix expression."""
    _shaped_like_weight(answers, "grad_W1")


@claim("grad_W1", points=1, description="is zero exactly where the true gradient is (up to a factor or a transpose)")
def grad_w1_vanishes_where_the_true_gradient_does(answers):
    """The answer is a nonzero multiple of ∂L/∂W1 or of its transpose."""
    _zero_where_gradient_is(answers, "grad_W1")


@claim("grad_W1", points=1, description="equals the true gradient")
def grad_w1_equals_the_true_gradient(answers):
    """The answer equals ∂L/∂W1 at random points."""
    _equals_gradient(answers, "grad_W1")


@claim("grad_W2", points=1, description="is a matrix expression of the shape of W2 (m×k)")
def grad_w2_is_shaped_like_w2(answers):
    """∂L/∂W2 reads as an m×k matrix expression."""
    _shaped_like_weight(answers, "grad_W2")


@claim("grad_W2", points=1, description="is zero exactly where the true gradient is (up to a factor or a transpose)")
def grad_w2_vanishes_where_the_true_gradient_does(answers):
    """The answer is a nonzero multiple of ∂L/∂W2 or of its transpose."""
    _zero_where_gradient_is(answers, "grad_W2")


@claim("grad_W2", points=1, description="equals the true gradient")
def grad_w2_equals_the_true_gradient(answers):
    """The answer equals ∂L/∂W2 at random points."""
    _equals_gradient(answers, "grad_W2")


# ---------------------------------------------------------------- first-order conditions

def read_conditions(answers) -> list:
    """Each condition as (text, residual Typed) or (text, FormatError)."""
    texts = answers.value("first_order_conditions", ListOf(STR, length=2, allow_tuple=True))
    return [_read_condition(matexpr.repair_escapes(text)) for text in texts]


def _read_condition(text: str):
    try:
        eq = matexpr.parse_equation(text)
    except FormatError as e:
        return text, e
    try:
        lhs, rhs = matexpr.typecheck_equation(eq, text)
    except FormatError as e:
        # Shapes do not fit; say which slip would make it a right condition, when one does.
        untyped = matexpr.make_add((eq.lhs, matexpr.scale(Fraction(-1), eq.rhs)), (0, len(text)))
        for target in _all_targets():
            why = diagnose(untyped, text, target)
            if why:
                return text, FormatError(f"{e.message}\n{why}")
        return text, e
    if lhs.shape is None:
        return text, FormatError(f"this condition compares numbers; it should compare matrices\n  {text}")
    return text, residual(lhs, rhs)


def _all_targets() -> tuple:
    refs = references()
    return tuple(r for p in ("grad_W1", "grad_W2") for r in (refs[p], transposed(refs[p])))


def _matches(res: matexpr.Typed, target: Reference) -> bool:
    """Whether a residual is a nonzero multiple of the target residual or of its transpose."""
    for candidate in (target, transposed(target)):
        if res.shape == candidate.shape:
            c = ratio(values(res), values(candidate.typed))
            if c is not None and c != 0:
                return True
    return False


def _condition_claim(answers, part: str, words: str):
    refs = references()
    target = refs[part]
    conditions = read_conditions(answers)
    if any(not isinstance(r, FormatError) and _matches(r, target) for _, r in conditions):
        return
    broken = [(i, e) for i, (_, e) in enumerate(conditions) if isinstance(e, FormatError)]
    if broken:
        raise FormatError("\n".join(f"condition {i + 1}: {e.message}" for i, e in broken))
    notes = []
    for i, (text, res) in enumerate(conditions):
        if matexpr.is_number(res.tree) or is_zero(values(res)):
            notes.append(f"condition {i + 1} holds for every W1, W2 and X, so it says nothing")
            continue
        if _matches(res, refs[_other(part)]):
            notes.append(f"condition {i + 1} is equivalent to {refs[_other(part)].name} = 0")
            continue
        if res.shape not in (("k", "m"), ("m", "k")):
            notes.append(f"condition {i + 1} is {matexpr.show_shape(res.shape)}; a first-order condition is "
                         "shaped like W1 or W2 (or their transposes)")
            continue
        why = diagnose(res.tree, text, target)
        if why is None:
            why = diagnose(res.tree, text, transposed(target))
        if why:
            notes.append(f"condition {i + 1}: {why}")
    raise Wrong(f"neither condition is equivalent to {target.name} = 0 ({words})"
                + "".join(f"\n{n}" for n in notes))


@claim("first_order_conditions", points=2, description="one condition says the gradient in W1 vanishes")
def one_condition_is_the_gradient_in_w1_vanishing(answers):
    """Some condition's residual is a nonzero multiple of ∂L/∂W1 or its transpose."""
    _condition_claim(answers, "grad_W1", "the gradient with respect to W1 vanishes")


@claim("first_order_conditions", points=2, description="one condition says the gradient in W2 vanishes")
def one_condition_is_the_gradient_in_w2_vanishing(answers):
    """Some condition's residual is a nonzero multiple of ∂L/∂W2 or its transpose."""
    _condition_claim(answers, "grad_W2", "the gradient with respect to W2 vanishes")


# ---------------------------------------------------------------- pca_weights

def random_data(rng):
    """Zero-centred data X (m×n, n > m) and a k < m, drawn from the claim's generator."""
    m = int(rng.integers(5, 8))
    n = m + int(rng.integers(4, 9))
    k = int(rng.integers(2, m - 1))
    X = rng.standard_normal((m, n)) * np.linspace(3.0, 1.0, m)[:, None]  # spread the eigenvalues apart
    X -= X.mean(axis=1, keepdims=True)
    return X, k


def run_pca(answers, rng):
    """Call the student's pca_weights on random data: (X, k, W1, W2), shapes checked."""
    X, k = random_data(rng)
    m, n = X.shape
    got = answers.call("pca_weights", X, k, timeout=20)
    W1, W2 = _two_arrays(got)
    if W1.shape != (k, m) or W2.shape != (m, k):
        message = (f"for X of shape {m}×{n} (m={m} features, n={n} samples) and k={k}, W1 should be "
                   f"{k}×{m} and W2 {m}×{k}; yours are {_dims(W1)} and {_dims(W2)}")
        if W1.shape == (k, n) or W2.shape == (n, k):
            message += ("\nthey are n-dimensional: eigenvectors of XᵀX (n×n) instead of XXᵀ (m×m)? "
                        "The columns of X are the samples")
        elif W1.shape == (m, k) and W2.shape == (k, m):
            message += "\nW1 and W2 look swapped (W1 encodes R^m → R^k, W2 decodes R^k → R^m)"
        raise FormatError(message)
    return X, k, W1.astype(float), W2.astype(float)


def _two_arrays(got):
    TupleOf((Array(ndim=2), Array(ndim=2))).check(got, "pca_weights(X, k)")
    return got[0], got[1]


def _dims(a: np.ndarray) -> str:
    return "×".join(str(d) for d in a.shape)


def gradient_values(W1, W2, X):
    """The reference gradients (derived by sympy) evaluated at numeric matrices."""
    k, m = W1.shape
    point = {"W1": W1, "W2": W2, "X": X}
    sizes = {"m": m, "n": X.shape[1], "k": k}
    refs = references()
    return tuple(matexpr.evaluate(refs[p].typed.tree, point, sizes) for p in ("grad_W1", "grad_W2"))


def gradient_size(W1, W2, X) -> float:
    """How large the gradients are relative to the size of their terms (0 at a critical point)."""
    g1, g2 = gradient_values(W1, W2, X)
    C = X @ X.T
    # Each gradient is a difference of two terms; compare it with the larger of them.
    t1 = max(np.linalg.norm(2 * W2.T @ W2 @ W1 @ C), np.linalg.norm(2 * W2.T @ C))
    t2 = max(np.linalg.norm(2 * W2 @ W1 @ C @ W1.T), np.linalg.norm(2 * C @ W1.T))
    r1 = 0.0 if t1 == 0 else np.linalg.norm(g1) / t1
    r2 = 0.0 if t2 == 0 else np.linalg.norm(g2) / t2
    return float(max(r1, r2))


CRITICAL_TOL = 1e-6
LOSS_RTOL = 1e-6
ORTHO_TOL = 1e-6


@claim("pca_weights", points=0.5, description="returns W1 (k×m) and W2 (m×k)")
def pca_weights_returns_matrices_of_the_right_shapes(answers, rng):
    """pca_weights returns two arrays shaped like W1 and W2."""
    run_pca(answers, rng)


@claim("pca_weights", points=1, description="is a critical point: both gradients vanish")
def pca_weights_is_a_critical_point(answers, rng):
    """Both reference gradients vanish at the returned weights."""
    X, k, W1, W2 = run_pca(answers, rng)
    r = gradient_size(W1, W2, X)
    if r > CRITICAL_TOL:
        raise Wrong(f"the gradients do not vanish at your W1, W2: they are {r:.2g} of the size of their terms "
                    f"(at most {CRITICAL_TOL:g} allowed)" + _point(X, k))


@claim("pca_weights", points=1.5, description="reaches the minimum loss (sum of the m−k smallest eigenvalues of XXᵀ)")
def pca_weights_reaches_the_minimum_loss(answers, rng):
    """The loss equals the sum of the m − k smallest eigenvalues of XXᵀ."""
    X, k, W1, W2 = run_pca(answers, rng)
    best = ref.min_loss(X, k)
    got = ref.loss(W1, W2, X)
    scale = float(np.trace(X @ X.T))
    if abs(got - best) <= LOSS_RTOL * scale:
        return
    higher = got - best
    vals, _ = ref.gram_eigen(X)
    if gradient_size(W1, W2, X) <= CRITICAL_TOL and np.linalg.matrix_rank(W2) == k:
        q, _ = np.linalg.qr(W2)
        captured = np.sort(np.linalg.eigvalsh(q.T @ X @ X.T @ q))[::-1]
        raise Wrong(f"these are eigenvectors of XXᵀ, but not the top {k}: they capture the eigenvalues "
                    f"{_nums(captured)} where the top {k} are {_nums(vals[:k])}; the loss is higher by "
                    f"{higher:.4g} ({100 * higher / best:.1f}% above the minimum {best:.4g})"
                    + _point(X, k))
    raise Wrong(f"your W1, W2 do not minimize the loss: it is {got:.6g}, the minimum is {best:.6g} "
                f"(higher by {higher:.4g})" + _point(X, k))


@claim("pca_weights", points=1, visibility="hidden",
       description="is the PCA solution: W2 = W1ᵀ with orthonormal columns")
def pca_weights_are_orthonormal_and_tied(answers, rng):
    """W2 = W1ᵀ and W2ᵀW2 = I_k (the signs of the columns are free)."""
    X, k, W1, W2 = run_pca(answers, rng)
    untied = np.linalg.norm(W2 - W1.T) / max(np.linalg.norm(W2), 1e-300)
    skew = np.linalg.norm(W2.T @ W2 - np.eye(k))
    if untied <= ORTHO_TOL and skew <= ORTHO_TOL:
        return
    at_minimum = abs(ref.loss(W1, W2, X) - ref.min_loss(X, k)) <= LOSS_RTOL * float(np.trace(X @ X.T))
    if at_minimum:
        _, vecs = ref.gram_eigen(X)
        A = W1 @ vecs[:, :k]
        s = np.linalg.svd(A, compute_uv=False)
        raise Wrong(f"this is a minimum, but not the orthonormal one: W1 = A U_kᵀ and W2 = U_k A⁻¹ with A "
                    f"having singular values {_nums(s)}; PCA takes A orthogonal (W2 = W1ᵀ = U_k up to signs)")
    raise Wrong(f"W2 should equal W1ᵀ and have orthonormal columns: ‖W2 − W1ᵀ‖/‖W2‖ = {untied:.3g}, "
                f"‖W2ᵀW2 − I‖ = {skew:.3g}" + _point(X, k))


def _nums(xs) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in xs) + "]"


def _point(X, k) -> str:
    """Where it was tried: k and the data X, abbreviated."""
    return f"\ntried with k={k} and X ({X.shape[0]}×{X.shape[1]}) = {short_repr(np.round(X, 3).tolist(), 100)}"


# ---------------------------------------------------------------- pca_argument

MIN_WORDS, MAX_WORDS = 10, 3000


@claim("pca_argument", points=4, description="is a written argument (graded by a TA)")
def pca_argument_is_a_written_argument(answers):
    """The free response is a string of a reasonable length; a TA grades its content."""
    text = answers.value("pca_argument", STR)
    words = len(text.split())
    if words < MIN_WORDS:
        raise FormatError(f"the argument has {words} word{'s' if words != 1 else ''}; write at least {MIN_WORDS}")
    if words > MAX_WORDS:
        raise FormatError(f"the argument has {words} words; keep it under {MAX_WORDS}")

