"""Public claims for Q3b: gradients and first-order conditions of the linear autoencoder, and PCA weights.

Expressions are read by `matexpr` (a Lark grammar, never evaluated as Python)
and judged by what they mean: their values at fixed random points against the
true gradients' values there, sealed (grader.seal; seals.py derives them with
sympy from the loss in `reference/pca_autoencoder.py`). PCA weights are judged by
properties that need no solution (properties.py). The hidden claim is in
graded_checks.py.
"""
from __future__ import annotations

import time
from fractions import Fraction
from functools import lru_cache

import numpy as np

from grader.claims import claim
from grader.seal import sealed
from grader.counterexamples import first_failing, shrink_entries, snippet
from grader.errors import ConfigError, FormatError, NearMiss, StudentCrash, Wrong
from grader.types import Array, ListOf, STR, TupleOf, count_words
from problems.pca_autoencoder import matexpr
from problems.pca_autoencoder.equivalence import (
    Reference, counterexample, diagnose, is_zero, ratio, residual, scaled, slip, transposed, values,
)
from problems.pca_autoencoder import properties

NAMES = {"grad_W1": "∂L/∂W1", "grad_W2": "∂L/∂W2"}
SHAPE_OF = {"grad_W1": ("W1", ("k", "m")), "grad_W2": ("W2", ("m", "k"))}


@lru_cache(maxsize=None)
def references() -> dict:
    """The true gradients by part name, as sealed: their values at fixed points, not their formulas.

    In the course's repository the expressions themselves come along (`exact`, `typed`), derived by sympy
    from the loss in seals.py; a student package has the values only (grader.seal).
    """
    seal = sealed(__package__)
    out = {}
    for part in NAMES:
        arrays = seal.arrays(part)
        at = lambda prefix: tuple(arrays[f"{prefix}{i}"] for i in range(sum(k.startswith(prefix) for k in arrays)))
        out[part] = Reference(NAMES[part], SHAPE_OF[part][1], at("draw"), at("candidate"),
                              seal.live(f"{part} exact"), seal.live(f"{part} typed"))
    return out


def warm_up() -> None:
    """Derive the sealed references ahead (sympy, in the course's repository): run while the sandbox starts."""
    references()


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


def _equals_gradient(answers, part):
    """Pass when the answer equals the gradient; a factor, a sign or a transpose away is a NearMiss."""
    tree, text, typed = read_gradient(answers, part, require_shape=False)
    refs = references()
    target = refs[part]
    if typed.shape is not None and typed.shape == transposed(target).shape != target.shape:
        # Shaped like the transpose: a near miss when it is (a multiple of) the transposed gradient.
        c = ratio(values(typed), transposed(target).values())
        if c is not None and c != 0:
            raise NearMiss(f"a transpose: yours equals the transpose of {scaled(c, target.name)}, which is "
                           f"{matexpr.show_shape(typed.shape)}; {target.name} has the shape of "
                           f"{SHAPE_OF[part][0]}, {matexpr.show_shape(target.shape)}",
                           got=matexpr.to_text(typed.tree))
    if typed.shape != target.shape:
        read_gradient(answers, part)  # raises the shape claim's FormatError: the form gates this claim
    c = ratio(values(typed), target.values())
    if c is not None and abs(c - 1) <= 1e-9:
        return
    if c is not None and c != 0:
        raise NearMiss(slip(c, target.name), got=matexpr.to_text(typed.tree))
    if c == 0:
        raise Wrong(f"your expression is zero for every W1, W2 and X; {target.name} is not",
                    got=matexpr.to_text(typed.tree))
    why = diagnose(tree, text, target, (refs[_other(part)],))
    raise Wrong(f"your expression does not equal {target.name}" + (f": {why}" if why else ""),
                got=matexpr.to_text(typed.tree), counterexample=counterexample(typed, target))


# The shape claims only gate (0 points): an expression of the right shape earns nothing by itself. The value
# claim pays the part's 3 points, all or nothing; a factor, a sign or a transpose is a near miss (0 points
# unless the course config gives near misses a fraction, `[partial_credit]`).

@claim("grad_W1", points=0, description="is a matrix expression of the shape of W1 (k×m)")
def grad_w1_is_shaped_like_w1(answers):
    """∂L/∂W1 reads as a k×m matrix expression."""
    read_gradient(answers, "grad_W1")


@claim("grad_W1", points=3, description="equals the true gradient")
def grad_w1_equals_the_true_gradient(answers):
    """The answer equals ∂L/∂W1 at random points."""
    _equals_gradient(answers, "grad_W1")


@claim("grad_W2", points=0, description="is a matrix expression of the shape of W2 (m×k)")
def grad_w2_is_shaped_like_w2(answers):
    """∂L/∂W2 reads as an m×k matrix expression."""
    read_gradient(answers, "grad_W2")


@claim("grad_W2", points=3, description="equals the true gradient")
def grad_w2_equals_the_true_gradient(answers):
    """The answer equals ∂L/∂W2 at random points."""
    _equals_gradient(answers, "grad_W2")


# ---------------------------------------------------------------- first-order conditions

def read_conditions(answers) -> list:
    """Each condition as (text, residual Typed) or (text, FormatError)."""
    texts = answers.value("first_order_conditions", ListOf(STR, length=2))
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
            c = ratio(values(res), candidate.values())
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

PCA_TIMEOUT_S = 20.0


def random_data(rng):
    """Zero-centred data X (m×n, n > m) and a k < m, drawn from the claim's generator."""
    m = int(rng.integers(5, 8))
    n = m + int(rng.integers(4, 9))
    k = int(rng.integers(2, m - 1))
    X = rng.standard_normal((m, n)) * np.linspace(3.0, 1.0, m)[:, None]  # spread the eigenvalues apart
    X -= X.mean(axis=1, keepdims=True)
    return X, k


def run_pca(answers, X, k, timeout: float = PCA_TIMEOUT_S):
    """Call the student's pca_weights on (X, k): (W1, W2) as floats, their types and shapes checked."""
    m, n = X.shape
    got = answers.call("pca_weights", X, k, timeout=timeout)
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
    return W1.astype(float), W2.astype(float)


def _two_arrays(got):
    TupleOf((Array(ndim=2), Array(ndim=2))).check(got, "pca_weights(X, k)")
    return got[0], got[1]


def _dims(a: np.ndarray) -> str:
    return "×".join(str(d) for d in a.shape)


CRITICAL_TOL = 1e-6
LOSS_RTOL = 1e-6
ORTHO_TOL = 1e-6
RANK_TOL = 1e-8  # singular values of W2 below this fraction of its largest count as 0

# Counterexamples: sizes (m, n, k) tried smallest first, then the entries of X are made simpler; each try
# is one call of pca_weights in the sandbox, so the tries and their time are bounded.
SHRINK_SIZES = ((2, 3, 1), (3, 4, 1), (3, 4, 2), (4, 5, 1), (4, 5, 2), (4, 5, 3))
SHRINK_TRIES = 40
SHRINK_SECONDS = 10.0


def _rank(W: np.ndarray) -> int:
    s = np.linalg.svd(W, compute_uv=False)
    return int(np.sum(s > RANK_TOL * max(float(s.max(initial=0.0)), 1e-300))) if s.size else 0


def judge_critical_point(X, k, W1, W2) -> None:
    """Wrong unless both gradients vanish at (W1, W2) and W2 has rank k (W1 = W2 = 0 is a critical point of any data)."""
    r = properties.gradient_size(W1, W2, X)
    if r > CRITICAL_TOL:
        raise Wrong(f"the gradients do not vanish at your W1, W2: they are {r:.2g} of the size of their terms "
                    f"(at most {CRITICAL_TOL:g} allowed)")
    rank = _rank(W2)
    if rank < k:
        raise Wrong(f"the gradients vanish, but W2 has rank {rank} < k = {k}: a rank-deficient critical point "
                    f"(W1 = W2 = 0 is one for any X) says nothing about PCA; PCA's critical points have rank k")


def judge_minimum_loss(X, k, W1, W2) -> None:
    """Wrong unless the loss is the sum of the m − k smallest eigenvalues of XXᵀ."""
    best = properties.min_loss(X, k)
    got = properties.loss(W1, W2, X)
    scale = float(np.trace(X @ X.T))
    if abs(got - best) <= LOSS_RTOL * scale:
        return
    higher = got - best
    vals, _ = properties.gram_eigen(X)
    above = f" ({100 * higher / best:.1f}% above the minimum {best:.4g})" if best > 0 else f" (the minimum is {best:.4g})"
    if properties.gradient_size(W1, W2, X) <= CRITICAL_TOL and np.linalg.matrix_rank(W2) == k:
        q, _ = np.linalg.qr(W2)
        captured = np.sort(np.linalg.eigvalsh(q.T @ X @ X.T @ q))[::-1]
        raise Wrong(f"these are eigenvectors of XXᵀ, but not the top {k}: they capture the eigenvalues "
                    f"{_nums(captured)} where the top {k} are {_nums(vals[:k])}; the loss is higher by "
                    f"{higher:.4g}{above}")
    raise Wrong(f"your W1, W2 do not minimize the loss: it is {got:.6g}, the minimum is {best:.6g} "
                f"(higher by {higher:.4g})")


def judge_shapes(X, k, W1, W2) -> None:
    """Nothing beyond run_pca's own checks of the types and shapes."""


def _attempt(answers, X, k, judge, timeout: float = PCA_TIMEOUT_S):
    """The fault that pca_weights(X, k) judged by `judge` raises (Wrong, FormatError, StudentCrash), or None."""
    try:
        W1, W2 = run_pca(answers, X, k, timeout)
        judge(X, k, W1, W2)
    except (Wrong, FormatError, StudentCrash) as fault:
        return fault
    return None


def _well_posed(X) -> bool:
    """Whether XXᵀ has distinct eigenvalues, so that its top-k eigenvectors are unique up to signs."""
    vals = np.linalg.eigvalsh(X @ X.T)
    return bool(np.all(np.diff(vals) > 1e-9 * max(float(vals[-1]), 1.0)))


def _smallest_failure(answers, rng, X, k, judge, fault, took: float, fair=None):
    """The smallest (X, k) where pca_weights fails as `fault` did, with its fault: sizes first, then entries.

    Each try gets a few times what the first call took (smaller data should not take longer). Only
    well-posed data is tried (XXᵀ with distinct eigenvalues), on which PCA's weights pass every public
    judge; `fair(X, k)`, when given, must hold too (a graded check asks the reference whether it passes).
    """
    started = time.perf_counter()
    timeout = min(PCA_TIMEOUT_S, max(5.0, 3 * took))
    same = type(fault)
    found: dict = {}

    def fails(X_try, k_try) -> bool:
        if time.perf_counter() - started > SHRINK_SECONDS or not _well_posed(X_try):
            return False
        if fair is not None and not fair(X_try, k_try):
            return False
        f = _attempt(answers, X_try, k_try, judge, timeout)
        if type(f) is not same or getattr(f, "timed_out", False):
            return False
        found[(X_try.tobytes(), X_try.shape, k_try)] = f
        return True

    m0, n0 = X.shape
    sizes = [(m, n, kk) for m, n, kk in SHRINK_SIZES if m * n < m0 * n0]
    candidates = [(rng.integers(-3, 4, (m, n)).astype(float), kk) for m, n, kk in sizes] + [(X, k)]
    smallest = first_failing(candidates, lambda c: fails(*c), len(candidates))
    if smallest is None:  # the original no longer fails the same way (a random function, say): keep it
        return X, k, fault
    X_small, k_small = smallest
    tries = SHRINK_TRIES - len(candidates)
    X_small = shrink_entries({"X": X_small}, lambda d: fails(d["X"], k_small), tries)["X"]
    return X_small, k_small, found.get((X_small.tobytes(), X_small.shape, k_small), fault)


def pca_claim(answers, rng, judge, fair=None) -> None:
    """Run pca_weights on random data and judge it; on failure, show the smallest input that fails the same way."""
    X, k = random_data(rng)
    started = time.perf_counter()
    fault = _attempt(answers, X, k, judge)
    if fault is None:
        return
    if isinstance(fault, StudentCrash) and fault.timed_out:
        raise fault  # a hang is not retried on other inputs: each costs the full timeout
    took = time.perf_counter() - started
    X_small, k_small, small_fault = _smallest_failure(answers, rng, X, k, judge, fault, took, fair)
    message = (f"{small_fault.message}\nsmallest counterexample:\n"
               + snippet((("X", X_small),), f"W1, W2 = pca_weights(X, {k_small})"))
    raise type(small_fault)(message)


@claim("pca_weights", points=0, description="returns W1 (k×m) and W2 (m×k)")
def pca_weights_returns_matrices_of_the_right_shapes(answers, rng):
    """pca_weights returns a tuple of two arrays shaped like W1 and W2 (a gate: the other claims need it)."""
    pca_claim(answers, rng, judge_shapes)


@claim("pca_weights", points=1, description="is a critical point of rank k: both gradients vanish")
def pca_weights_is_a_critical_point(answers, rng):
    """Both gradients of the loss vanish at the returned weights, and W2 has rank k."""
    pca_claim(answers, rng, judge_critical_point)


@claim("pca_weights", points=2, description="reaches the minimum loss (sum of the m−k smallest eigenvalues of XXᵀ)")
def pca_weights_reaches_the_minimum_loss(answers, rng):
    """The loss equals the sum of the m − k smallest eigenvalues of XXᵀ."""
    pca_claim(answers, rng, judge_minimum_loss)


def _nums(xs) -> str:
    return "[" + ", ".join(f"{x:.4g}" for x in xs) + "]"


# ---------------------------------------------------------------- pca_argument

MIN_WORDS, MAX_WORDS = 10, 3000


@claim("pca_argument", points=4, description="is a written argument (graded by a TA)")
def pca_argument_is_a_written_argument(answers):
    """The free response is a string of a reasonable length; a TA grades its content."""
    text = answers.value("pca_argument", STR)
    words = count_words(text)
    if words == 0:
        raise FormatError(f"the argument has no words; write at least {MIN_WORDS}")
    if words < MIN_WORDS:
        # Still an answer: it stays pending for the TA, and the student is told it is short.
        raise Wrong(f"the argument is short: it has {words} word{'s' if words != 1 else ''}, and at least "
                    f"{MIN_WORDS} are expected. It is still an answer: a TA will read and score it.")
    if words > MAX_WORDS:
        raise FormatError(f"the argument has {words} words; keep it under {MAX_WORDS}")



# ---------------------------------------------------------------- derivations (chat transcripts only)
# Every derivation step a chat writes, judged by derivations.py at points that satisfy the problem's
# assumptions; each verdict is also marked in the chat (transcript.html). 0 points unless a course config
# gives the part some. Only a transcript's extractor provides the equations: a module's names are never read.

from grader.errors import NotAnswered  # noqa: E402
from problems.pca_autoencoder import derivations  # noqa: E402
from problems.pca_autoencoder.transcript import EQUATIONS  # noqa: E402

MAX_LISTED = 8  # steps named in a message


def _step_line(judged, step) -> str:
    where = f"turn {judged.turn}" + (f", part ({judged.part})" if judged.part else "")
    left, right = judged.sides[step.index - 1], judged.sides[step.index]
    what = {"fails": "does not hold", "unread": "could not be read"}[step.verdict]
    return f"{where}: `{_cap(left)}` = `{_cap(right)}` {what}: {step.why}"


def _cap(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width] + " ..."


def _derivation_steps_hold(answers, argument: bool, pass_note) -> None:
    """Judge the chat's derivation steps of one kind (the PCA argument, or the rest), mark each, and sum up."""
    steps = []
    for judged in derivations.judge(answers.from_chat(EQUATIONS)):
        if judged.kind != "steps":
            continue
        # The PCA argument: part (ii), or steps checked where the chat set W1 = U_kᵀ, W2 = U_k.
        if (judged.part == "ii" or (not judged.part and judged.substituted)) != argument:
            continue
        for step in judged.steps:
            note = {"holds": "this step holds", "fails": f"does not hold: {step.why}",
                    "unread": f"could not be read: {step.why}"}[step.verdict]
            answers.mark(f"{judged.key}:{step.index}", step.verdict, note)
            steps.append((judged, step))
    what = "the PCA argument (part (ii))" if argument else "the gradients and conditions (part (i))"
    if not steps:
        raise NotAnswered(f"no derivation step about {what} was found in the chat")
    failed = [s for s in steps if s[1].verdict == "fails"]
    unread = [s for s in steps if s[1].verdict == "unread"]
    holding = len(steps) - len(failed) - len(unread)
    listed = failed or unread
    lines = "\n".join(_step_line(j, s) for j, s in listed[:MAX_LISTED])
    more = f"\n(and {len(listed) - MAX_LISTED} more)" if len(listed) > MAX_LISTED else ""
    if failed:
        raise Wrong(f"{len(failed)} of the {len(steps)} derivation steps about {what} do not hold:\n{lines}{more}")
    if unread:
        # A step the grader cannot read is not a step that holds: no credit for what cannot be decided.
        raise Wrong(f"{holding} of the {len(steps)} derivation steps about {what} hold; "
                    f"{len(unread)} could not be read, so the chain is not shown to hold:\n{lines}{more}")
    pass_note(f"all {len(steps)} derivation steps about {what} hold")


@claim("derivations", points=0, description="every derivation step about the gradients and conditions holds")
def derivation_steps_about_the_gradients_hold(answers, pass_note):
    """The chat's chains in part (i) (and outside the PCA argument) hold step by step."""
    _derivation_steps_hold(answers, argument=False, pass_note=pass_note)


@claim("derivations", points=0, description="every derivation step of the PCA argument holds")
def derivation_steps_of_the_pca_argument_hold(answers, pass_note):
    """The chat's chains in part (ii), checked where W1 = U_kᵀ and W2 = U_k, hold step by step."""
    _derivation_steps_hold(answers, argument=True, pass_note=pass_note)
