"""Deciding whether two matrix expressions mean the same thing, by random evaluation.

Two shape-checked expressions are compared at several random draws of the
sizes (m, n, k with k < m) and of the matrices, in float64, with a relative
tolerance. The draws come from a fixed seed so that one answer always gets the
same verdict. When they differ, `diagnose` tries the usual slips (a scalar
factor, a sign, a transpose, XᵀX for XXᵀ, W1 and W2 swapped) and names the
one that explains the answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import numpy as np

from grader.counterexamples import first_failing, python_literal, shrink_entries
from grader.errors import FormatError
from problems.pca_autoencoder.matexpr import (
    MAX_LENGTH, Add, Node, Num, T, Typed, evaluate, make_mul, parse, rename, swap_gram, typecheck,
)

RTOL = 1e-8  # float64 products of a handful of small matrices agree to ~1e-13
DRAWS = 4
SEED = 20260703


@dataclass(frozen=True)
class Draw:
    """One random point: sizes and matrices."""

    sizes: dict
    env: dict


@lru_cache(maxsize=None)
def draws() -> tuple:
    """The fixed random points: distinct sizes m, n, k with k < m, Gaussian matrices."""
    rng = np.random.default_rng(SEED)
    out = []
    for _ in range(DRAWS):
        m = int(rng.integers(3, 8))
        k = int(rng.integers(1, m))
        n = int(rng.integers(m + 1, m + 6))  # n != m and n != k, so a misplaced X^T cannot hide
        env = {"W1": rng.standard_normal((k, m)), "W2": rng.standard_normal((m, k)), "X": rng.standard_normal((m, n))}
        out.append(Draw({"m": m, "n": n, "k": k}, env))
    return tuple(out)


def values(typed: Typed, points=None) -> list:
    """The expression's value at each draw (arrays; a number is broadcast as a float)."""
    out = []
    with np.errstate(over="ignore", invalid="ignore"):
        for d in (points or draws()):
            v = np.asarray(evaluate(typed.tree, d.env, d.sizes), dtype=float)
            if not np.all(np.isfinite(v)):
                # A long product can overflow float64; comparing infinities would prove nothing.
                raise FormatError("this expression grows too large to evaluate at random matrices; simplify it")
            out.append(v)
    return out


def ratio(a_vals: list, b_vals: list) -> float | None:
    """The constant c with a = c·b at every draw, or None when there is none (c may be 0)."""
    cs = []
    for a, b in zip(a_vals, b_vals):
        bb = float(np.sum(b * b))
        if bb == 0.0:
            if float(np.sum(a * a)) == 0.0:
                continue  # both zero here: no information about c
            return None
        c = float(np.sum(a * b)) / bb
        if np.linalg.norm(a - c * b) > RTOL * max(np.linalg.norm(a), abs(c) * np.linalg.norm(b), 1e-300):
            return None
        cs.append(c)
    if not cs:
        return None
    c0 = cs[0]
    if any(abs(c - c0) > RTOL * max(abs(c0), 1e-12) * 10 for c in cs):
        return None
    return c0


def is_zero(a_vals: list) -> bool:
    """Whether an expression is zero at every draw."""
    return all(float(np.max(np.abs(a))) == 0.0 for a in a_vals)


def show_factor(c: float) -> str:
    """A scalar as a short fraction when it is one ('1/2', '-2'), else 4 significant digits."""
    f = Fraction(c).limit_denominator(1000)
    if abs(float(f) - c) <= 1e-9 * max(1.0, abs(c)):
        return str(f)
    return f"{c:.4g}"


@dataclass(frozen=True)
class Reference:
    """A named reference expression (e.g. '∂L/∂W1') with its values at the draws."""

    name: str
    typed: Typed

    @property
    def shape(self):
        """Its shape."""
        return self.typed.shape


def same(a: Typed, b: Typed) -> bool:
    """Whether two typed expressions are equal (same shape, same values at every draw)."""
    return a.shape == b.shape and _close(values(a), values(b))


def _close(a_vals, b_vals) -> bool:
    return all(np.linalg.norm(a - b) <= RTOL * max(np.linalg.norm(b), np.linalg.norm(a), 1e-300)
               for a, b in zip(a_vals, b_vals))


def transposed(ref: Reference) -> Reference:
    """The transpose of a reference, named as such."""
    return Reference(f"({ref.name})ᵀ", Typed(T(ref.typed.tree), (ref.shape[1], ref.shape[0])))


def scaled(c: float, name: str) -> str:
    """'∂L/∂W1', '−∂L/∂W1' or '1/2 × ∂L/∂W1'."""
    if abs(c - 1) <= 1e-9:
        return name
    if abs(c + 1) <= 1e-9:
        return f"−{name}"
    return f"{show_factor(c)} × {name}"


def scaled_relation(c: float, name: str) -> str:
    """'equals ∂L/∂W1', 'equals −∂L/∂W1' or 'equals 1/2 × ∂L/∂W1'."""
    return f"equals {scaled(c, name)}"


def slip(c: float, name: str) -> str:
    """Name the scalar slip of an answer that equals c times the right one."""
    if abs(c + 1) <= 1e-9:
        return f"a sign error: yours equals −{name}"
    return f"off by a factor of {show_factor(c)}: yours equals {show_factor(c)} × {name}"


def diagnose(tree: Node, text: str, target: Reference, others: tuple = ()) -> str | None:
    """A sentence naming the slip that turns the answer into `target` (or shows it is one of `others`).

    Tries the answer as it stands against the other references, then the answer
    transposed, with XᵀX and XXᵀ exchanged, and with W1 and W2 exchanged.
    """
    rewrites = [
        ("", lambda t: t),
        ("its transpose", lambda t: T(t)),
        ("with XᵀX in place of XXᵀ", swap_gram),
        ("with W1 and W2 swapped", lambda t: rename(t, {"W1": "W2", "W2": "W1"})),
        ("with W1 and W2 swapped, transposed", lambda t: T(rename(t, {"W1": "W2", "W2": "W1"}))),
    ]
    for label, rewrite in rewrites:
        candidate = rewrite(tree)
        if label and candidate == tree:
            continue  # the rewrite does not apply (e.g. no XᵀX in the answer)
        try:
            typed = typecheck(candidate, text, target.shape)
        except FormatError:
            continue
        for ref in (target, *others):
            if typed.shape != ref.shape:
                continue
            c = ratio(values(typed), values(ref.typed))
            if c is None or c == 0:
                continue
            if not label:
                if ref is target:
                    return None  # nothing to diagnose: it is a scalar multiple, said elsewhere
                return f"your expression {scaled_relation(c, ref.name)}: did you mix up the two gradients?"
            if label == "its transpose":
                return f"your expression is the transpose of {scaled(c, ref.name)}"
            what = {
                "with XᵀX in place of XXᵀ": "it has XᵀX where XXᵀ belongs",
                "with W1 and W2 swapped": "W1 and W2 are swapped",
                "with W1 and W2 swapped, transposed": "W1 and W2 are swapped (and the result transposed)",
            }[label]
            return f"{what}: fixed, it {scaled_relation(c, ref.name)}"
    return None


# Sizes tried for a counterexample, smallest first, and how many integer points at each.
COUNTEREXAMPLE_SIZES = ((2, 3, 1), (3, 4, 1), (3, 4, 2), (4, 5, 1), (4, 5, 2))
POINTS_PER_SIZE = 8
MAX_SHRINK_TRIES = 200  # evaluating two small expressions is cheap


def counterexample(typed: Typed, ref: Reference) -> str | None:
    """The smallest integer point where the answer and the reference differ, as copy-pasteable Python.

    Sizes first (the smallest m, n, k where some small-integer point differs),
    then the entries, each moved toward 0 while the two still differ.
    """
    def differs(env: dict) -> bool:
        k, m = env["W1"].shape
        point = Draw({"m": m, "n": env["X"].shape[1], "k": k}, env)
        try:
            (mine,), (right,) = values(typed, [point]), values(ref.typed, [point])
        except FormatError:  # grew too large to evaluate: not a usable counterexample
            return False
        return mine.shape == right.shape and not np.allclose(mine, right, rtol=1e-9, atol=1e-9)

    rng = np.random.default_rng(7)

    def candidates():
        for m, n, k in COUNTEREXAMPLE_SIZES:
            for _ in range(POINTS_PER_SIZE):
                yield {"W1": rng.integers(-2, 3, (k, m)), "W2": rng.integers(-2, 3, (m, k)), "X": rng.integers(-2, 3, (m, n))}

    found = first_failing(candidates(), differs, len(COUNTEREXAMPLE_SIZES) * POINTS_PER_SIZE)
    if found is None:
        return None
    env = shrink_entries(found, differs, MAX_SHRINK_TRIES, roundings=())
    k, m = env["W1"].shape
    point = Draw({"m": m, "n": env["X"].shape[1], "k": k}, env)
    (mine,), (right,) = values(typed, [point]), values(ref.typed, [point])
    return (f"m={m}, n={env['X'].shape[1]}, k={k}\nimport numpy as np\n"
            + "\n".join(f"{name} = {python_literal(env[name])}" for name in ("W1", "W2", "X"))
            + f"\nyours gives {_ints(mine)}; {ref.name} is {_ints(right)}")


def _ints(a: np.ndarray) -> str:
    """A value at an integer point: a list of whole numbers when it is one, else the array in full."""
    if np.allclose(a, np.rint(a), rtol=0, atol=1e-9):
        return str(np.rint(a).astype(int).tolist())
    return python_literal(np.asarray(a, dtype=np.float64))


def residual(lhs: Typed, rhs: Typed) -> Typed:
    """lhs − rhs as one typed expression."""
    return Typed(Add((lhs.tree, make_mul((Num(Fraction(-1)), rhs.tree), (0, 0)))), lhs.shape)



def first_broken_step(text: str) -> int | None:
    """In a derivation chain `A = B = C`, the number of the first step that does not hold (1 for A = B), or None.

    Every segment must parse (a FormatError says where it does not), and the
    first must be shape-checked; a step holds when both sides have the same
    shape and agree at every draw.
    """
    if len(text) > MAX_LENGTH:
        raise FormatError(f"this chain is too long ({len(text)} characters; at most {MAX_LENGTH})")
    cuts = [i for i, ch in enumerate(text) if ch == "="]
    bounds = [-1, *cuts, len(text)]
    trees = [parse(text[a + 1:b], a + 1, text) for a, b in zip(bounds, bounds[1:])]
    first = typecheck(trees[0], text)
    previous = first
    for step, tree in enumerate(trees[1:], start=1):
        try:
            current = typecheck(tree, text, first.shape)
        except FormatError:
            return step  # a side whose products do not fit cannot equal the one before it
        if current.shape != previous.shape or not same(previous, current):
            return step
        previous = current
    return None
