"""Derivation chains of a PCA chat, checked step by step at points that satisfy the problem's assumptions.

The chat's equations (from `transcript.py`, in chat order) are read by a Lark
grammar (`derivation.lark`: named matrices, identities and zero blocks, block
matrices, traces, squared Frobenius norms, powers, ∂/∂W, the loss and its
gradients) and evaluated with numpy; nothing is run as Python.

What the names mean is declared here, as the homework states it: X = UΣVᵀ
with U (m×m) and V (n×n) orthogonal and Σ (m×n) holding distinct positive
singular values in decreasing order; D = ΣΣᵀ; U_k, D_k, S (= Σ_k), Λ_k their
top-k parts; L = ‖X − W2W1X‖_F²; W1 (k×m) and W2 (m×k) free. Each point draws
U and V orthogonal and the singular values, and builds X from them, so
U_kᵀU_k = I and XXᵀU_k = U_kD_k hold there. The chat adds to this: a name it
defines (`V_1 := W_1 U`, `P = U_kU_kᵀ`, or an eigenvalue matrix through
XXᵀU_k = U_kΛ) means what it says from then on, and where it sets
W1 = U_kᵀ and W2 = U_k (in a part, or earlier in the same reply) the chains
there are checked at that point.

A statement with three sides or more is a chain: each step is checked. One
with two sides is a step when it is an identity by its form (a trace, a norm,
the loss, a gradient or a derivative on a side, or no free W1, W2 once the
chat's substitution is made) or when it holds at random W1, W2; otherwise it
is a condition (W2ᵀW2W1XXᵀ = W2ᵀXXᵀ holds only at some points) and is not
judged. Each step holds, does not hold (the shapes differ or cannot be
multiplied, or the values differ: with the smallest counterexample found), or
could not be read (with what was not understood).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from grader.errors import FormatError

MAX_LENGTH = 1200  # characters of a side
MAX_DEPTH = 14  # nested brackets
MAX_NODES = 250
MAX_SIDES = 24
MAX_EQUATIONS = 300
RTOL = 1e-8
DERIVATIVE_RTOL = 1e-6  # derivatives are taken by finite differences (Richardson-extrapolated)
POINT_SIZES = ((7, 12, 3), (5, 9, 2), (6, 8, 4))  # (m, n, k): sizes whose sums and differences are told apart
SEED = 20260704
SMALL_SIZES = ((2, 3, 1), (3, 4, 1), (3, 4, 2), (4, 5, 2), (4, 6, 3))

FREE = ("W1", "W2")
# The names the problem declares: fixed by the data (never redefined by the chat) ...
FIXED = ("X", "U", "Sigma", "V", "U_k", "L")
# ... and conventions the chat may define otherwise (its definition then wins).
CONVENTIONS = ("D", "D_k", "S", "Sigma_k", "Lambda_k", "V_k")
DECOMPOSITION = ("U", "Sigma", "V", "U_k", "D", "D_k", "S", "Sigma_k", "Lambda_k", "V_k")

GREEK = {"Σ": "Sigma", "Λ": "Lambda", "Γ": "Gamma", "Δ": "Delta", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega", "Θ": "Theta"}
SHOWN = {"W1": "W1", "W2": "W2", "Sigma": "Σ", "Lambda": "Λ", "Sigma_k": "Σ_k", "Lambda_k": "Λ_k"}
# Statements of other kinds: inequalities, implications, approximations, sets.
RELATION = re.compile(r"\\neq?(?![A-Za-z])|\\[lg]eq?(?![A-Za-z])|\\approx|\\Rightarrow|\\implies|\\iff|\\to\b|"
                      r"\\rightarrow|\\Longrightarrow|\\propto|\\sim\b|\\equiv|\\triangleq|\\mapsto|[<>≤≥≈⇒→↦]")
LABEL = re.compile(r"^\s*(?:\\text\{\s*(?:LHS|RHS)\s*\}|\\mathrm\{(?:LHS|RHS)\}|LHS|RHS)\s*$")
TYPE_ANNOTATION = re.compile(r"\s*(?:\\in|∈)\s*(?:\\mathbb\{R\}|\\R\b|R)\s*\^.*$", re.DOTALL)
LOSS_ARGS = re.compile(r"((?:\\mathcal\{L\}|\\mathcal L|(?<![A-Za-z\\])L))\s*(?:\\left)?\s*\(\s*[^()]{0,40}[,;][^()]{0,40}"
                       r"(?:\\right)?\s*\)")


class Unread(Exception):
    """A side that could not be read or understood: the message says what."""


class ShapeError(Exception):
    """A side whose sizes do not fit (a product, a sum, a trace), or two sides of different shapes."""


# ---------------------------------------------------------------- the tree

@dataclass(frozen=True)
class Node:
    """Base of the tree; `span` is where the node is in the side's text (not compared)."""

    span: tuple = field(default=(0, 0), compare=False, kw_only=True)


@dataclass(frozen=True)
class Name(Node):
    """A named matrix (canonical name: 'W1', 'U_k', 'Sigma', 'V1')."""

    name: str


@dataclass(frozen=True)
class Ident(Node):
    """An identity; `size` is a linear combination of m, n, k ({'m': 1, 'k': -1}) or None (from the context)."""

    size: tuple | None = None


@dataclass(frozen=True)
class Num(Node):
    """An exact scalar."""

    value: Fraction


@dataclass(frozen=True)
class Mul(Node):
    """A product, in order."""

    factors: tuple


@dataclass(frozen=True)
class Add(Node):
    """A sum (a difference is a sum with a −1 factor)."""

    terms: tuple


@dataclass(frozen=True)
class T(Node):
    """A transpose."""

    arg: Node


@dataclass(frozen=True)
class Pow(Node):
    """An integer power of a square matrix (−1: the inverse)."""

    arg: Node
    n: int


@dataclass(frozen=True)
class Trace(Node):
    """A trace: a number."""

    arg: Node


@dataclass(frozen=True)
class Frob(Node):
    """A squared Frobenius norm: a number."""

    arg: Node


@dataclass(frozen=True)
class Block(Node):
    """A block matrix: rows of blocks."""

    rows: tuple


@dataclass(frozen=True)
class Deriv(Node):
    """∂/∂var of a number-valued expression (a matrix of the shape of var)."""

    var: str
    arg: Node


@dataclass(frozen=True)
class Grad(Node):
    """∂L/∂W1 or ∂L/∂W2 of the loss L = ‖X − W2W1X‖_F²."""

    which: str


@dataclass(frozen=True)
class Sigmas(Node):
    """diag(σ_1^p, …, σ_K^p): the top K singular values of X (p = 1) or their squares (p = 2)."""

    power: int
    size: str


@dataclass(frozen=True)
class Solved(Node):
    """A name the chat defined by an equation P·Z·Q = R: Z = P⁺ R Q⁺ (checked to satisfy it)."""

    left: Node | None
    rhs: Node
    right: Node | None


def children(node: Node) -> tuple:
    """The direct subtrees of a node."""
    if isinstance(node, Mul):
        return node.factors
    if isinstance(node, Add):
        return node.terms
    if isinstance(node, (T, Pow, Trace, Frob, Deriv)):
        return (node.arg,)
    if isinstance(node, Block):
        return tuple(c for row in node.rows for c in row)
    if isinstance(node, Solved):
        return tuple(c for c in (node.left, node.rhs, node.right) if c is not None)
    return ()


def names(node: Node) -> set[str]:
    """The names a tree mentions (the loss and the gradients mention W1, W2 and X)."""
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Grad):
        return {"W1", "W2", "X"}
    if isinstance(node, Deriv):
        return {node.var} | names(node.arg)
    return set().union(*(names(c) for c in children(node))) if children(node) else set()


def scalar_form(node: Node) -> bool:
    """Whether a tree has a trace, a norm, the loss, a gradient or a derivative: an identity by its form."""
    if isinstance(node, (Trace, Frob, Grad, Deriv)) or (isinstance(node, Name) and node.name == "L"):
        return True
    return any(scalar_form(c) for c in children(node))


def is_zero(node: Node) -> bool:
    """Whether a side is the number 0 (a zero matrix where the other side is one)."""
    return isinstance(node, Num) and node.value == 0


# ---------------------------------------------------------------- reading

def canonical(token: str) -> str:
    """A NAME token's canonical name: wrappers dropped, Greek spelled out, digit subscripts glued ('W_{1}' → 'W1')."""
    t = re.sub(r"\\(?:mathbf|boldsymbol|bm|mathrm|mathcal|hat|tilde)\{", "", token)
    t = t.replace(" ", "")
    m = re.match(r"\\?([A-Za-z]+|[ΣΛΓΔΦΨΩΘ])\}?(?:_\{?([A-Za-z0-9]+)\}?|([0-9]))?$", t)
    if not m:
        return t
    base = GREEK.get(m.group(1), m.group(1))
    sub = m.group(2) or m.group(3)
    if sub is None:
        return base
    return base + sub if sub.isdigit() else f"{base}_{sub}"


def size_expr(text: str) -> tuple | None:
    """'m-k' → (('k', -1), ('m', 1)); a size the reader cannot tell → None."""
    text = text.replace(" ", "").strip("{}")
    if not re.fullmatch(r"[+-]?(?:[mnk]|\d+)(?:[+-](?:[mnk]|\d+))*", text):
        return None
    out: dict[str, int] = {}
    for sign, term in re.findall(r"([+-]?)([mnk]|\d+)", text):
        key, value = (term, 1) if term.isalpha() else ("1", int(term))
        out[key] = out.get(key, 0) + (-value if sign == "-" else value)
    return tuple(sorted(out.items()))


class _Build:
    """Lark callbacks that build the tree while parsing, counting nodes."""

    def __init__(self):
        self.nodes = 0

    def _count(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise Unread(f"it is too long to read (more than {MAX_NODES} parts)")
        return node

    @staticmethod
    def _sp(tok) -> tuple:
        return (tok.start_pos, tok.end_pos)

    def atom(self, c):
        """A name, identity, number, gradient, diag of singular values, or a bracketed group."""
        if len(c) == 3:  # a bracketed group: its span takes the brackets in
            return replace(c[1], span=(c[0].start_pos, c[2].end_pos))
        tok = c[0]
        kind, sp = tok.type, self._sp(tok)
        if kind == "NAME":
            return self._count(Name(canonical(tok.value), span=sp))
        if kind == "IDENT":
            m = re.search(r"_\s*(\{[^{}]*\}|[a-z0-9])$|([mnk])$", tok.value)
            size = size_expr(m.group(1) or m.group(2)) if m else None
            if m and size is None:
                raise Unread(f"the size of {tok.value!r} is not read (write I_k, I_m or I_{{m-k}})")
            return self._count(Ident(size, span=sp))
        if kind == "NUMBER":
            return self._count(Num(Fraction(tok.value), span=sp))
        if kind == "GRADIENT":
            return self._count(Grad("W" + re.findall(r"[12]", tok.value)[-1], span=sp))
        if kind == "SIGMAS":
            power = 2 if re.search(r"\^\s*\{?\s*2", tok.value) else 1
            size = re.findall(r"_\s*\{?\s*([kmnr])", tok.value)[-1]
            return self._count(Sigmas(power, "m" if size == "r" else size, span=sp))
        raise Unread(f"{tok.value!r} is not read")

    def frac(self, c):
        """\\frac{top}{bottom}: a division by a number."""
        return self._count(_divide(c[2], c[5], (c[0].start_pos, c[6].end_pos)))

    def trace(self, c):
        """tr(A)."""
        return self._count(Trace(c[2], span=(c[0].start_pos, c[3].end_pos)))

    def frobenius(self, c):
        """‖A‖_F²."""
        return self._count(Frob(c[1], span=(c[0].start_pos, c[2].end_pos)))

    def block(self, c):
        """\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}."""
        rows = tuple(x for x in c if isinstance(x, tuple))
        return self._count(Block(rows, span=(c[0].start_pos, c[-1].end_pos)))

    def brow(self, c):
        """One row of blocks."""
        return tuple(x for x in c if isinstance(x, Node))

    def derivative(self, c):
        """∂/∂W applied to what follows."""
        tok, arg = c
        var = re.sub(r"^\\[dt]?frac\s*\{[^{}]*\}\s*\{\s*(?:\\partial|∂)\s*|\}$|^\\nabla\s*_\s*\{?|\}$", "", tok.value)
        return self._count(Deriv(canonical(var.strip()), arg, span=(tok.start_pos, arg.span[1])))

    def post(self, c):
        """A transpose or a power mark."""
        return c[0]

    def factor(self, c):
        """An atom with its transposes and powers."""
        node = c[0]
        for tok in c[1:]:
            sp = (node.span[0], tok.end_pos)
            if tok.type == "POWER":
                n = int(re.sub(r"[^0-9-]", "", tok.value))
                node = self._count(Pow(node, n, span=sp))
            else:
                node = self._count(T(node, span=sp))
        return node

    def signed(self, c):
        """A factor with unary signs."""
        *signs, node = c
        return _sign(signs, node)

    def explicit_product(self, c):
        """'* factor'."""
        return ("*", c[1])

    def division(self, c):
        """'/ factor'."""
        return ("/", c[1])

    def juxtaposition(self, c):
        """A factor right after another."""
        return ("*", c[0])

    def product(self, c):
        """The factors in order."""
        node = c[0]
        for op, rhs in c[1:]:
            sp = (node.span[0], rhs.span[1])
            node = _divide(node, rhs, sp) if op == "/" else _mul(node, rhs, sp)
            self._count(node)
        return node

    def head(self, c):
        """A term with its leading signs."""
        *signs, node = c
        return _sign(signs, node)

    def sum(self, c):
        """Terms added or subtracted."""
        node = c[0]
        for i in range(1, len(c), 2):
            term = c[i + 1]
            if c[i].value != "+":
                term = _scale(Fraction(-1), term)
            terms = (node.terms if isinstance(node, Add) else (node,)) + (term,)
            node = self._count(Add(terms, span=(node.span[0], term.span[1])))
        return node

    def start(self, c):
        """The whole side."""
        return c[0]


def _scale(c: Fraction, node: Node) -> Node:
    if isinstance(node, Num):
        return Num(c * node.value, span=node.span)
    return _mul(Num(c, span=node.span), node, node.span)


def _mul(a: Node, b: Node, span) -> Node:
    """A flat product."""
    factors = (a.factors if isinstance(a, Mul) else (a,)) + (b.factors if isinstance(b, Mul) else (b,))
    return Mul(factors, span=span)


def _sign(signs, node: Node) -> Node:
    minus = sum(1 for s in signs if s.value != "+") % 2
    return _scale(Fraction(-1), node) if minus else node


def _divide(top: Node, bottom: Node, span) -> Node:
    if not isinstance(bottom, Num):
        raise Unread("only division by a number is read")
    if bottom.value == 0:
        raise Unread("it divides by zero")
    return _scale(1 / bottom.value, top) if not isinstance(top, Num) else Num(top.value / bottom.value, span=span)


_GRAMMAR = (Path(__file__).with_name("derivation.lark")).read_text(encoding="utf-8")
_BUILD = _Build()
_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual", transformer=_BUILD, maybe_placeholders=False)
_LOCK = threading.Lock()


def prepare(text: str) -> str:
    """A side as the reader takes it: a type annotation (∈ ℝ^{k×m}) and the loss's arguments L(W1, W2; X) dropped."""
    text = TYPE_ANNOTATION.sub("", text)
    return LOSS_ARGS.sub(lambda m: m.group(1), text).strip()


@lru_cache(maxsize=4096)
def read(text: str) -> Node:
    """One side as a tree; Unread saying what could not be read."""
    text = prepare(text)
    if not text:
        raise Unread("it is empty")
    if len(text) > MAX_LENGTH:
        raise Unread(f"it is too long ({len(text)} characters)")
    depth = deepest = 0
    for ch in text:
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        deepest = max(deepest, depth)
    if deepest > MAX_DEPTH:
        raise Unread("its brackets nest too deeply")
    try:
        with _LOCK:
            _BUILD.nodes = 0
            return _PARSER.parse(text)
    except UnexpectedCharacters as e:
        word = re.match(r"\\?[A-Za-z]+|.", text[e.pos_in_stream:])
        raise Unread(f"{word.group(0)!r} (column {e.pos_in_stream + 1}) is not read") from None
    except UnexpectedEOF:
        raise Unread("it ends too early") from None
    except UnexpectedToken as e:
        what = "it ends too early" if e.token.type == "$END" else f"{e.token.value!r} is not expected there"
        raise Unread(what) from None
    except UnexpectedInput:
        raise Unread("it cannot be read") from None
    except FormatError as e:
        raise Unread(e.message) from None


# ---------------------------------------------------------------- points that satisfy the assumptions

@dataclass
class Point:
    """Sizes and matrices satisfying the assumptions; the chat's definitions and substitutions on top."""

    sizes: dict
    base: dict  # name -> array: X, U, Sigma, V, sigma (the singular values), W1, W2
    defs: dict = field(default_factory=dict)  # name -> Node, the chat's definitions
    cache: dict = field(default_factory=dict)

    def with_base(self, **changes) -> "Point":
        """The same point with some matrices replaced (for derivatives and substitutions)."""
        return Point(self.sizes, {**self.base, **changes}, self.defs)

    def declared(self, name: str):
        """The value of a name the problem declares, or None."""
        b, k = self.base, self.sizes["k"]
        if name in b and name != "sigma":
            return b[name]
        if name == "U_k":
            return b["U"][:, :k]
        if name == "V_k":
            return b["V"][:, :k]
        if name == "D":
            return b["Sigma"] @ b["Sigma"].T
        if name in ("D_k", "Lambda_k"):
            return np.diag(b["sigma"][:k] ** 2)
        if name in ("S", "Sigma_k"):
            return np.diag(b["sigma"][:k])
        return None


def _orthogonal(rng, n: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _make(m: int, n: int, k: int, U: np.ndarray, V: np.ndarray, sigma: np.ndarray, W1, W2) -> Point:
    Sigma = np.zeros((m, n))
    Sigma[np.arange(m), np.arange(m)] = sigma
    X = U @ Sigma @ V.T
    return Point({"m": m, "n": n, "k": k}, {"X": X, "U": U, "Sigma": Sigma, "V": V, "sigma": sigma, "W1": W1, "W2": W2})


@lru_cache(maxsize=None)
def random_points() -> tuple:
    """The fixed random points: U, V orthogonal, distinct decreasing singular values, X = UΣVᵀ, W1, W2 Gaussian."""
    rng = np.random.default_rng(SEED)
    out = []
    for m, n, k in POINT_SIZES:
        sigma = np.sort(rng.uniform(0.5, 1.0, m) + np.arange(m)[::-1] * 0.7)[::-1]
        out.append(_make(m, n, k, _orthogonal(rng, m), _orthogonal(rng, n), sigma,
                         rng.standard_normal((k, m)), rng.standard_normal((m, k))))
    return tuple(out)


def small_points() -> list:
    """Small points with integer-friendly entries, smallest first, for counterexamples."""
    rng = np.random.default_rng(7)
    out = []
    for m, n, k in SMALL_SIZES:
        sigma = np.arange(m, 0, -1).astype(float)
        for U in (np.eye(m), np.eye(m)[::-1]):
            for _ in range(3):
                W1 = rng.integers(-1, 3, (k, m)).astype(float)
                W2 = rng.integers(-1, 3, (m, k)).astype(float)
                out.append(_make(m, n, k, U.copy(), np.eye(n), sigma, W1, W2))
    return out


# ---------------------------------------------------------------- shapes, with sizes a context decides

class _Sizes:
    """Union-find over sizes: known ints and unknowns (("v", n)), with sum constraints for block matrices."""

    def __init__(self):
        self.parent: dict[tuple, tuple] = {}
        self.value: dict[tuple, int] = {}
        self.sums: list[tuple[object, list]] = []
        self.grids: list[tuple[list, list]] = []  # square block grids: (row heights, column widths)
        self.n = 0

    def new(self) -> tuple:
        """A fresh unknown size."""
        self.n += 1
        var = ("v", self.n)
        self.parent[var] = var
        return var

    def root(self, var: tuple) -> tuple:
        """The representative of an unknown's class."""
        while self.parent[var] != var:
            self.parent[var] = self.parent[self.parent[var]]
            var = self.parent[var]
        return var

    def known(self, d) -> int | None:
        """The int a size stands for, or None."""
        return d if isinstance(d, int) else self.value.get(self.root(d))

    def unify(self, a, b) -> bool:
        """Make two sizes equal; False when they are different known ints."""
        ka, kb = self.known(a), self.known(b)
        if ka is not None and kb is not None:
            return ka == kb
        if isinstance(a, tuple) and isinstance(b, tuple):
            ra, rb = self.root(a), self.root(b)
            if ra != rb:
                self.parent[ra] = rb
                if ka is not None:
                    self.value[rb] = ka
            return True
        var, val = (a, kb) if isinstance(a, tuple) else (b, ka)
        self.value[self.root(var)] = val
        return True

    def settle(self) -> None:
        """Settle every size the constraints fix; then, in a square grid of blocks, take the partition to be
        symmetric (the diagonal blocks square, as in (I_k 0; 0 0)) where nothing else decides."""
        self.solve()
        changed = True
        while changed:
            changed = False
            for heights, widths in self.grids:
                for h, w in zip(heights, widths):
                    if (self.known(h) is None) != (self.known(w) is None):
                        self.unify(h, w)
                        changed = True
            if changed:
                self.solve()

    def solve(self) -> None:
        """Settle the block sums: a total from its parts, or the one unknown part from the total."""
        changed = True
        while changed:
            changed = False
            for total, parts in self.sums:
                vals = [self.known(p) for p in parts]
                t = self.known(total)
                if None not in vals and t is None:
                    self.unify(total, sum(vals))
                    changed = True
                elif t is not None and vals.count(None) == 1:
                    rest = t - sum(v for v in vals if v is not None)
                    if rest < 0:
                        raise ShapeError("the blocks are larger than the matrix they form")
                    self.unify(parts[vals.index(None)], rest)
                    changed = True
                elif t is not None and None not in vals and t != sum(vals):
                    raise ShapeError("the blocks do not add up to the size of the other side")


def _size_of(expr: tuple, sizes: dict) -> int:
    return sum(coef * (1 if key == "1" else sizes[key]) for key, coef in expr)


class Evaluation:
    """One side (or a step's two sides) at one point: shapes first, with unknown sizes, then values."""

    def __init__(self, point: Point, text: str):
        self.point, self.text = point, text
        self.sizes = _Sizes()
        self.dims: dict[int, tuple] = {}  # id(node) -> its shape (sizes may be unknowns)
        self.visiting: set[str] = set()

    # shapes -------------------------------------------------------------------------------
    def quote(self, node: Node) -> str:
        """The text a node was read from."""
        return self.text[node.span[0]:node.span[1]].strip() or "?"

    def show(self, shape) -> str:
        """A shape in words (k×m)."""
        return show_shape(shape, self.point.sizes, self.sizes)

    def name_shape(self, node: Name):
        """The shape of a named matrix at this point (None for a number)."""
        value = self.value_of_name(node)
        return None if np.ndim(value) == 0 else tuple(np.shape(value))

    def shape(self, node: Node):
        """The shape of a node ((rows, cols) of ints or unknowns), or None for a number."""
        s = self._shape(node)
        self.dims[id(node)] = s
        return s

    def _shape(self, node: Node):
        sz = self.sizes
        if isinstance(node, Name):
            return self.name_shape(node)
        if isinstance(node, (Num, Trace, Frob)):
            if isinstance(node, Trace):
                inner = self.shape(node.arg)
                if inner is not None and not sz.unify(inner[0], inner[1]):
                    raise ShapeError(f"the trace needs a square matrix, but {_q(self.quote(node.arg))} is "
                                     f"{self.show(inner)}")
            elif isinstance(node, Frob):
                self.shape(node.arg)
            return None
        if isinstance(node, Ident):
            d = _size_of(node.size, self.point.sizes) if node.size is not None else sz.new()
            if isinstance(d, int) and d < 0:
                raise ShapeError(f"{_q(self.quote(node))} has a negative size")
            return (d, d)
        if isinstance(node, Sigmas):
            d = self.point.sizes[node.size]
            return (d, d)
        if isinstance(node, T):
            inner = self.shape(node.arg)
            return None if inner is None else (inner[1], inner[0])
        if isinstance(node, Pow):
            inner = self.shape(node.arg)
            if inner is not None and not sz.unify(inner[0], inner[1]):
                raise ShapeError(f"a power needs a square matrix, but {_q(self.quote(node.arg))} is {self.show(inner)}")
            return inner
        if isinstance(node, Grad):
            return tuple(self.point.base[node.which].shape)
        if isinstance(node, Deriv):
            if node.var not in FREE:
                raise Unread(f"a derivative with respect to {node.var!r} is not read (only W1 and W2 vary)")
            if self.shape(node.arg) is not None:
                raise Unread(f"the derivative of a matrix ({_q(self.quote(node.arg))}) is not read, only of a number")
            return tuple(self.point.base[node.var].shape)
        if isinstance(node, Mul):
            current, left = None, None
            for f in node.factors:
                s = self.shape(f)
                if s is None:
                    continue
                if current is None:
                    current, left = s, f
                    continue
                if not sz.unify(current[1], s[0]):
                    left_text = self.text[left.span[0]:f.span[0]].strip().rstrip("*@").strip()
                    left_text = re.sub(r"\\cdot\s*$", "", left_text).strip() or self.quote(left)
                    raise ShapeError(f"these matrices cannot be multiplied: {_q(left_text)} is {self.show(current)} "
                                     f"but {_q(self.quote(f))} is {self.show(s)} ({self.dim(current[1])} columns "
                                     f"against {self.dim(s[0])} rows)")
                current = (current[0], s[1])
            return current
        if isinstance(node, Add):
            shapes = [(self.shape(t), t) for t in node.terms]
            mats = [(s, t) for s, t in shapes if s is not None]
            if not mats:
                return None
            first, first_term = mats[0]
            for s, t in mats[1:]:
                if not (sz.unify(first[0], s[0]) and sz.unify(first[1], s[1])):
                    raise ShapeError(f"these matrices cannot be added: {_q(self.quote(first_term))} is "
                                     f"{self.show(first)} but {_q(self.quote(t))} is {self.show(s)}")
            return first
        if isinstance(node, Block):
            widths = len(node.rows[0])
            if any(len(r) != widths for r in node.rows):
                raise ShapeError(f"the rows of {_q(self.quote(node))} have different numbers of blocks")
            heights = [sz.new() for _ in node.rows]
            cols = [sz.new() for _ in range(widths)]
            for i, row in enumerate(node.rows):
                for j, cell in enumerate(row):
                    s = self.shape(cell)
                    if s is None:
                        if not is_zero(cell):
                            raise ShapeError(f"a block matrix holds matrices; {_q(self.quote(cell))} is a number")
                        s = (sz.new(), sz.new())
                        self.dims[id(cell)] = s
                    if not (sz.unify(s[0], heights[i]) and sz.unify(s[1], cols[j])):
                        raise ShapeError(f"the blocks of {_q(self.quote(node))} do not line up")
            rows, width = sz.new(), sz.new()
            sz.sums += [(rows, heights), (width, cols)]
            if len(heights) == len(cols) > 1:
                sz.grids.append((heights, cols))
            self.dims[id(node)] = (rows, width)
            return (rows, width)
        if isinstance(node, Solved):
            return tuple(self.value(node).shape)
        raise Unread(f"{type(node).__name__} is not read")

    def dim(self, d) -> str:
        """A size in words (m, k, m−k)."""
        return show_dim(d, self.point.sizes, self.sizes)

    def fit(self, shape, want) -> None:
        """Make a side's shape that of the other side (sizing its identities and zero blocks)."""
        if shape is None or want is None:
            return
        if not (self.sizes.unify(shape[0], want[0]) and self.sizes.unify(shape[1], want[1])):
            raise ShapeError("mismatch")

    # values -------------------------------------------------------------------------------
    def value_of_name(self, node: Name):
        """The value of a name: the chat's definition, the loss, or what the problem declares."""
        name = node.name
        if name in self.point.cache:
            return self.point.cache[name]
        if name in self.point.defs:
            if name in self.visiting:
                raise Unread(f"{show_name(name)} is defined in terms of itself")
            self.visiting.add(name)
            inner = Evaluation(self.point, "")
            inner.visiting = self.visiting
            tree = self.point.defs[name]
            inner.shape(tree)
            inner.sizes.settle()
            value = inner.value(tree)
            self.visiting.discard(name)
        elif name == "L":
            b = self.point.base
            value = float(np.sum((b["X"] - b["W2"] @ b["W1"] @ b["X"]) ** 2))
        else:
            value = self.point.declared(name)
            if value is None:
                raise Unread(f"{show_name(name)} is not a matrix of this problem and the chat does not define it")
        self.point.cache[name] = value
        return value

    def size(self, d) -> int:
        """A size the context has decided; Unread when it has not."""
        v = self.sizes.known(d)
        if v is None:
            raise Unread("the size of an identity or a zero block cannot be told from the context")
        return v

    def value(self, node: Node):
        """The value of a node whose shapes were inferred (an array, or a float)."""
        if isinstance(node, Name):
            return self.value_of_name(node)
        if isinstance(node, Num):
            return float(node.value)
        if isinstance(node, Ident):
            s = self.dims[id(node)]
            return np.eye(self.size(s[0]))
        if isinstance(node, Sigmas):
            return np.diag(self.point.base["sigma"][:self.point.sizes[node.size]] ** node.power)
        if isinstance(node, T):
            v = self.value(node.arg)
            return v.T if isinstance(v, np.ndarray) else v
        if isinstance(node, Pow):
            v = self.value(node.arg)
            if not isinstance(v, np.ndarray):
                return v ** node.n
            if node.n < 0:
                if abs(np.linalg.det(v)) < 1e-12 * max(1.0, np.abs(v).max()) ** len(v):
                    raise Unread(f"{_q(self.quote(node.arg))} is not invertible here")
                v = np.linalg.inv(v)
            return np.linalg.matrix_power(v, abs(node.n))
        if isinstance(node, Trace):
            v = self.value(node.arg)
            return float(np.trace(v)) if isinstance(v, np.ndarray) else v
        if isinstance(node, Frob):
            v = self.value(node.arg)
            return float(np.sum(np.asarray(v) ** 2))
        if isinstance(node, Mul):
            out = 1.0
            for f in node.factors:
                v = self.value(f)
                out = out @ v if isinstance(out, np.ndarray) and isinstance(v, np.ndarray) else out * v
            return out
        if isinstance(node, Add):
            shape = self.dims[id(node)]
            total = None
            for t in node.terms:
                v = self.value(t)
                if shape is not None and not isinstance(v, np.ndarray):
                    if v != 0:
                        raise ShapeError(f"a number cannot be added to a matrix: {_q(self.quote(t))} is a number")
                    continue
                total = v if total is None else total + v
            if total is None:
                return np.zeros((self.size(shape[0]), self.size(shape[1])))
            return total
        if isinstance(node, Block):
            rows = []
            for row in node.rows:
                cells = []
                for cell in row:
                    v = self.value(cell)
                    if not isinstance(v, np.ndarray):
                        s = self.dims[id(cell)]
                        v = np.zeros((self.size(s[0]), self.size(s[1])))
                    cells.append(v)
                rows.append(cells)
            return np.block(rows)
        if isinstance(node, Grad):
            b = self.point.base
            residual = (b["W2"] @ b["W1"] - np.eye(len(b["X"]))) @ b["X"] @ b["X"].T
            return 2 * b["W2"].T @ residual if node.which == "W1" else 2 * residual @ b["W1"].T
        if isinstance(node, Deriv):
            return self.derivative(node)
        if isinstance(node, Solved):
            left = np.linalg.pinv(self.sub(node.left)) if node.left is not None else None
            right = np.linalg.pinv(self.sub(node.right)) if node.right is not None else None
            out = self.sub(node.rhs)
            out = left @ out if left is not None else out
            return out @ right if right is not None else out
        raise Unread(f"{type(node).__name__} is not read")

    def sub(self, tree: Node):
        """The value of a tree on its own (for definitions)."""
        inner = Evaluation(self.point, self.text)
        inner.visiting = self.visiting
        inner.shape(tree)
        inner.sizes.settle()
        return inner.value(tree)

    def derivative(self, node: Deriv) -> np.ndarray:
        """∂f/∂W by central differences at two step sizes, Richardson-extrapolated (exact for quadratics)."""
        W = self.point.base[node.var]

        def f(Wp) -> float:
            """The expression at the point with `node.var` replaced."""
            point = self.point.with_base(**{node.var: Wp})
            ev = Evaluation(point, self.text)
            ev.shape(node.arg)
            ev.sizes.settle()
            return float(ev.value(node.arg))

        out = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            est = []
            for h in (1e-2, 5e-3):
                E = np.zeros_like(W)
                E[idx] = h
                est.append((f(W + E) - f(W - E)) / (2 * h))
            out[idx] = (4 * est[1] - est[0]) / 3
        return out


def _q(text: str) -> str:
    return f'"{text}"' if "'" in text else f"'{text}'"


def show_name(name: str) -> str:
    """A canonical name as a reader writes it."""
    return SHOWN.get(name, name)


def show_dim(d, sizes: dict, solver: _Sizes | None = None) -> str:
    """A size as a name (m, n, k, m−k, ...) at the point's sizes, else the number."""
    v = solver.known(d) if solver is not None else d
    if not isinstance(v, int):
        return "?"
    m, n, k = sizes["m"], sizes["n"], sizes["k"]
    table = {m: "m", n: "n", k: "k", m - k: "m−k", n - k: "n−k", n - m: "n−m", m + k: "m+k", 2 * k: "2k"}
    if len(table) < 8:  # sizes too small to tell the names apart: say the numbers
        return str(v)
    return table.get(v, str(v))


def show_shape(shape, sizes: dict, solver: _Sizes | None = None) -> str:
    """'k×m', or 'a number'."""
    if shape is None:
        return "a number"
    return f"{show_dim(shape[0], sizes, solver)}×{show_dim(shape[1], sizes, solver)}"


# ---------------------------------------------------------------- a step

@dataclass(frozen=True)
class Step:
    """The verdict on one step of a chain: the step's number (its right side's index), holds/fails/unread, why."""

    index: int
    verdict: str  # holds | fails | unread
    why: str = ""


def _values(left: Node, right: Node, lt: str, rt: str, point: Point, fit: tuple | None = None):
    """(left value, right value) at a point; ShapeError or Unread naming the side at fault.

    `fit` is the shape the chain had before this step: it sizes identities and zero blocks left open.
    """
    ev_l, ev_r = Evaluation(point, lt), Evaluation(point, rt)
    # One size solver for both sides: an identity or a zero block takes its size from the other side.
    ev_r.sizes = ev_l.sizes
    try:
        sl = ev_l.shape(left)
    except ShapeError as e:
        raise ShapeError(f"its left side cannot be evaluated: {e}") from None
    try:
        sr = ev_r.shape(right)
    except ShapeError as e:
        raise ShapeError(f"its right side cannot be evaluated: {e}") from None
    if (sl is None) != (sr is None) and not (is_zero(left) or is_zero(right)):
        raise ShapeError(f"its left side is {ev_l.show(sl)}, its right side {ev_r.show(sr)}")
    if sl is not None and sr is not None:
        before = (ev_l.show(sl), ev_r.show(sr))
        if not (ev_l.sizes.unify(sl[0], sr[0]) and ev_l.sizes.unify(sl[1], sr[1])):
            raise ShapeError(f"its left side is {before[0]}, its right side {before[1]}")
    shape = sl if sl is not None else sr
    if fit is not None and shape is not None:
        ev_l.sizes.unify(shape[0], fit[0]) and ev_l.sizes.unify(shape[1], fit[1])
    ev_l.sizes.settle()
    lv, rv = ev_l.value(left), ev_r.value(right)
    if isinstance(lv, np.ndarray) != isinstance(rv, np.ndarray):
        zero = np.zeros_like(lv if isinstance(lv, np.ndarray) else rv)
        lv, rv = (lv, zero) if isinstance(lv, np.ndarray) else (zero, rv)
    return np.asarray(lv, dtype=float), np.asarray(rv, dtype=float)


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    """Equal up to rounding, relative to the larger side; the points' matrices have entries of order one, so a
    side that is zero there is zero up to rtol in absolute terms."""
    if a.shape != b.shape:
        return False
    scale = max(np.linalg.norm(a), np.linalg.norm(b), 1.0)
    return float(np.linalg.norm(a - b)) <= rtol * scale


def _show_matrix(a) -> str:
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return f"{float(a):.6g}"
    if np.allclose(a, np.rint(a), atol=1e-9):
        return str(np.rint(a).astype(int).tolist())
    return np.array2string(a, precision=4, suppress_small=True, separator=", ").replace("\n", "")


def check_step(left: Node, right: Node, lt: str, rt: str, points: list, rtol: float,
               fits: list | None = None) -> tuple[str, object, list]:
    """('holds', None), ('fails', why), ('unread', why) or ('differs', the first point where the values differ),
    with the step's shape at each point (the fit of the next step)."""
    shapes = []
    for i, point in enumerate(points):
        try:
            with np.errstate(all="ignore"):
                lv, rv = _values(left, right, lt, rt, point, fits[i] if fits else None)
        except ShapeError as e:
            return "fails", str(e), []
        except Unread as e:
            return "unread", str(e), []
        except (np.linalg.LinAlgError, ValueError, ArithmeticError) as e:
            return "unread", f"it cannot be evaluated ({str(e)[:80]})", []
        if not (np.all(np.isfinite(lv)) and np.all(np.isfinite(rv))):
            return "unread", "it grows too large to evaluate", []
        if not _close(lv, rv, rtol):
            return "differs", point, []
        shapes.append(rv.shape if rv.ndim == 2 else None)
    return "holds", None, shapes


def counterexample(left: Node, right: Node, lt: str, rt: str, world: dict, shown: set) -> str | None:
    """The smallest point where the two sides differ, in words; None when the small points find none."""
    for base in small_points():
        try:
            with np.errstate(all="ignore"):
                point = _world(base, world)
                lv, rv = _values(left, right, lt, rt, point)
        except (ShapeError, Unread, np.linalg.LinAlgError, ValueError, ArithmeticError):
            continue
        if lv.shape == rv.shape and not np.allclose(lv, rv, rtol=1e-6, atol=1e-6):
            s = point.sizes
            given = [f"{show_name(n)} = {_show_matrix(point.base[n])}" for n in ("X", "U", "W1", "W2")
                     if n in shown and n not in world]
            return (f"at m={s['m']}, n={s['n']}, k={s['k']}" + (f" with {', '.join(given)}" if given else "")
                    + f": the left side is {_show_matrix(lv)}, the right side {_show_matrix(rv)}")
    return None


def _settable(setting: dict, defs: dict) -> bool:
    """Whether W1, W2 can be set so: each tree evaluates, at every point, to a matrix of that W's shape."""
    for point in random_points():
        p = Point(point.sizes, point.base, dict(defs))
        try:
            with np.errstate(all="ignore"):
                changed = _world(p, setting)
        except (ShapeError, Unread, np.linalg.LinAlgError, ValueError, ArithmeticError):
            return False
        if any(np.shape(changed.base[n]) != np.shape(point.base[n]) or not np.all(np.isfinite(changed.base[n]))
               for n in setting):
            return False
    return True


def _world(point: Point, world: dict) -> Point:
    """The point with the chat's substitutions for W1, W2 (each a W-free tree) made."""
    if not world:
        return point
    changes = {}
    for name, tree in world.items():
        ev = Evaluation(point, "")
        ev.shape(tree)
        ev.sizes.settle()
        changes[name] = np.asarray(ev.value(tree), dtype=float)
    return Point(point.sizes, {**point.base, **changes}, point.defs)


# ---------------------------------------------------------------- judging the chat's equations

@dataclass(frozen=True)
class Judged:
    """What one equation is, and for a chain the verdict on each step."""

    key: str
    turn: int  # the turn as a reader counts them
    part: str  # the part label it was written under, '' for none
    kind: str  # steps | definition | substitution | condition | rule | prose | other
    substituted: bool = False  # checked where the chat set W1, W2 (the PCA argument)
    steps: tuple[Step, ...] = ()
    sides: tuple[str, ...] = ()


def _free(tree: Node, defs: dict, world: dict, seen=None) -> bool:
    """Whether a tree depends on W1 or W2 that the chat has not set (through its definitions too)."""
    seen = seen or set()
    for name in names(tree):
        if name in FREE and name not in world:
            return True
        if name in defs and name not in seen:
            seen.add(name)
            if _free(defs[name], defs, world, seen):
                return True
    return False


def _uses(tree: Node, defs: dict, seen=None) -> set:
    """Every name a tree depends on, through the chat's definitions."""
    seen = seen or set()
    out = set()
    for name in names(tree):
        out.add(name)
        if name in defs and name not in seen:
            seen.add(name)
            out |= _uses(defs[name], defs, seen)
    return out


def _known(name: str, defs: dict) -> bool:
    return name in FREE or name in FIXED or name in CONVENTIONS or name in defs


def _solve_definition(trees: list, defs: dict) -> tuple[str, Node] | None:
    """A name the equation defines: one unknown name, once, as a factor of one side (XXᵀU_k = U_kΛ)."""
    unknown = [(i, n) for i, t in enumerate(trees) for n in names(t) if not _known(n, defs)]
    if len(unknown) != 1:
        return None
    side, name = unknown[0]
    tree = trees[side]
    factors = tree.factors if isinstance(tree, Mul) else (tree,)
    at = [j for j, f in enumerate(factors) if isinstance(f, Name) and f.name == name]
    if len(at) != 1 or _occurrences(tree, name) != 1:
        return None
    j = at[0]
    left = Mul(factors[:j]) if j > 1 else (factors[0] if j == 1 else None)
    right = Mul(factors[j + 1:]) if len(factors) - j > 2 else (factors[j + 1] if len(factors) - j == 2 else None)
    if any(isinstance(f, Num) for f in factors):
        return None
    candidate = Solved(left, trees[1 - side], right)
    # The definition stands only if it satisfies the equation at every point.
    trial = {**defs, name: candidate}
    for point in random_points():
        p = Point(point.sizes, point.base, trial)
        try:
            lv, rv = _values(trees[0], trees[1], "", "", p)
        except (ShapeError, Unread, np.linalg.LinAlgError, ValueError, ArithmeticError):
            return None
        if not _close(lv, rv, 1e-7):
            return None
    return name, candidate


def _scope(eq: dict) -> tuple:
    return ("part", eq["part"]) if eq["part"] else ("turn", eq["turn"])


def _bare(tree: Node) -> tuple[str, bool] | None:
    """(name, transposed) when a side is only a name or a name's transpose."""
    if isinstance(tree, Name):
        return tree.name, False
    if isinstance(tree, T) and isinstance(tree.arg, Name):
        return tree.arg.name, True
    return None


def _read_all(sides: list[str]) -> list:
    out = []
    for text in sides:
        try:
            out.append(read(text))
        except Unread as e:
            out.append(e)
    return out


def _judge_one(eq: dict, defs: dict, subs: dict) -> Judged:
    """Classify one equation and judge its steps; definitions and substitutions update `defs` and `subs`."""
    sides = [prepare(s) for s in eq["sides"]]
    judged = lambda kind, **kw: Judged(eq["key"], eq["number"], eq["part"], kind, sides=tuple(sides), **kw)  # noqa: E731
    if not 2 <= len(sides) <= MAX_SIDES or any(LABEL.match(s) for s in sides) or any(RELATION.search(s) for s in sides):
        return judged("other")
    trees = _read_all(sides)
    world = {**subs.get(("turn", eq["turn"]), {}), **(subs.get(_scope(eq), {}) if eq["part"] else {})}
    heads = [_bare(t) if isinstance(t, Node) else None for t in trees]
    last = trees[-1]
    # W1 = U_kᵀ, W2 = U_k, W1ᵀ = W2 = U_k: the chat sets the free matrices (for this part, or this reply).
    if isinstance(last, Node) and all(h is not None and h[0] in FREE for h in heads[:-1]) \
            and not _free(last, defs, {}) and not any(n in FREE for n in _uses(last, defs)):
        setting = {name: T(last) if transposed else last for name, transposed in heads[:-1]}
        if _settable(setting, defs):
            subs.setdefault(_scope(eq), {}).update(setting)
            return judged("substitution")
        return judged("other")  # W1 set to something of another shape, or that cannot be evaluated
    # name := expr, or name = expr for a name the problem does not fix: a definition.
    if heads[0] is not None and not heads[0][1] and isinstance(trees[1], Node) and (
            eq.get("defines") or (heads[0][0] not in FREE and heads[0][0] not in FIXED
                                  and (len(sides) == 2 or not _known(heads[0][0], defs)))):
        defs[heads[0][0]] = trees[1]
        if len(sides) == 2:
            return judged("definition")
        first = 1  # P = U_kU_kᵀ = ...: the rest is a chain
    else:
        first = 0
    errors = [t for t in trees if not isinstance(t, Node)]
    if len(sides) == 2 and first == 0:
        if errors:
            return judged("rule")  # tr(AB) = tr(BA) for unnamed A, B states a rule, not a step
        unknown = {n for t in trees for n in _uses(t, defs) if not _known(n, defs) and n != "L"}
        if unknown:
            solved = _solve_definition(trees, defs)
            if solved is not None:
                defs[solved[0]] = solved[1]
                return judged("definition")
            return judged("rule")
    if eq.get("inline") and errors:
        return judged("prose")  # k = m = 5, a list of definitions in running text
    chain = list(range(first, len(sides)))
    free = any(_free(t, defs, world) for t in trees if isinstance(t, Node))
    if free:
        while len(chain) > 2 and isinstance(trees[chain[-1]], Node) and is_zero(trees[chain[-1]]):
            chain.pop()  # a final '= 0' states a condition
        if len(chain) >= 2 and isinstance(trees[chain[-1]], Node) and is_zero(trees[chain[-1]]):
            return judged("condition")
    if len(chain) < 2:
        return judged("other")
    identity = any(isinstance(trees[i], Node) and scalar_form(trees[i]) for i in chain)
    condition_like = len(chain) == 2 and free and not identity
    points = [Point(p.sizes, p.base, dict(defs)) for p in random_points()]
    points = [_world(p, world) for p in points] if world else points
    rtol = DERIVATIVE_RTOL if any(isinstance(trees[i], Node) and _has(trees[i], Deriv) for i in chain) else RTOL
    steps, fits = [], None
    for a, b in zip(chain, chain[1:]):
        left, right = trees[a], trees[b]
        if not isinstance(right, Node) or not isinstance(left, Node):
            bad = right if not isinstance(right, Node) else left
            which = "right" if not isinstance(right, Node) else "left"
            steps.append(Step(b, "unread", f"its {which} side could not be read: {bad}"))
            continue
        verdict, detail, shapes = check_step(left, right, sides[a], sides[b], points, rtol, fits)
        fits = shapes or fits
        if verdict == "holds":
            steps.append(Step(b, "holds"))
        elif verdict in ("fails", "unread"):
            steps.append(Step(b, verdict, detail))
        else:
            if condition_like:
                return judged("condition")  # two sides equal only where the condition holds
            mixed = not world and {n for t in (left, right) for n in _uses(t, defs)} & set(DECOMPOSITION) \
                and any(n in FREE for t in (left, right) for n in _uses(t, defs))
            if mixed:
                steps.append(Step(b, "unread", "it uses U_k (or U, Σ, D) with W1, W2, but the chat has not set "
                                               "W1, W2 (as W1 = U_kᵀ, W2 = U_k) before it"))
                continue
            shown = {n for t in (left, right) for n in _uses(t, defs)} | {"X"}
            where = ("random X, with W1, W2 as the chat set them" if world else "random W1, W2, X")
            example = counterexample(left, right, sides[a], sides[b], world, shown)
            steps.append(Step(b, "fails", f"the two sides differ {example}" if example else
                              f"the two sides differ at {where} (sizes m={detail.sizes['m']}, "
                              f"n={detail.sizes['n']}, k={detail.sizes['k']})"))
    return judged("steps", substituted=bool(world), steps=tuple(steps))


def _occurrences(tree: Node, name: str) -> int:
    """How many times a name appears in a tree."""
    own = 1 if isinstance(tree, Name) and tree.name == name else 0
    return own + sum(_occurrences(c, name) for c in children(tree))


def _has(tree: Node, kind) -> bool:
    return isinstance(tree, kind) or any(_has(c, kind) for c in children(tree))


def judge(equations: list) -> tuple[Judged, ...]:
    """Every equation of a chat, in order, judged (cached: the derivation claims share one judgement)."""
    clean = []
    for eq in equations[:MAX_EQUATIONS] if isinstance(equations, list) else []:
        if not (isinstance(eq, dict) and isinstance(eq.get("sides"), list) and all(type(s) is str for s in eq["sides"])
                and type(eq.get("key")) is str and type(eq.get("turn")) is int and type(eq.get("part")) is str):
            continue
        number = eq.get("number") if type(eq.get("number")) is int else eq["turn"] + 1
        clean.append((eq["key"], eq["turn"], number, eq["part"], bool(eq.get("inline")), bool(eq.get("defines")),
                      tuple(eq["sides"])))
    return _judge(tuple(clean))


@lru_cache(maxsize=64)
def _judge(equations: tuple) -> tuple[Judged, ...]:
    defs: dict = {}
    subs: dict = {}
    out = []
    for key, turn, number, part, inline, defines, sides in equations:
        eq = {"key": key, "turn": turn, "number": number, "part": part, "inline": inline, "defines": defines,
              "sides": list(sides)}
        out.append(_judge_one(eq, defs, subs))
    return tuple(out)
