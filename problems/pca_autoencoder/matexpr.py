"""Safe reading of matrix expressions over W1, W2, X and identities, with traces.

A student's string is parsed by a Lark LALR grammar (`matexpr.lark`) into a
small tree of frozen dataclasses; nothing in it is ever evaluated as Python.
The tree is then shape-checked symbolically (sizes m, n, k; an identity takes
its size from its context; a trace, or a squared Frobenius norm read as
tr(AᵀA), is a number) and can be evaluated with numpy at given matrices,
printed back in plain notation, or turned into a sympy expression for display.

Every input is bounded before and during parsing (length, bracket depth, node
count), so hostile strings fail as a `FormatError` within milliseconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
import re
import threading
from pathlib import Path

import numpy as np
from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from grader.errors import ConfigError, FormatError

MAX_LENGTH = 1000  # characters; a full answer is well under 200
MAX_DEPTH = 12  # nested brackets (braces of W_{1} and \frac{}{} count too)
MAX_NODES = 200  # tree nodes; the reference gradients have about 15
MAX_NUMBER = 10**9  # bound on the numerator and denominator of any scalar

DIMS = ("m", "n", "k")
SYMBOL_SHAPES = {"W1": ("k", "m"), "W2": ("m", "k"), "X": ("m", "n")}


# ---------------------------------------------------------------- the tree

@dataclass(frozen=True)
class Node:
    """Base of the expression tree; `span` is (start, end) in the source text, not compared."""

    span: tuple = field(default=(0, 0), compare=False, kw_only=True)


@dataclass(frozen=True)
class Sym(Node):
    """One of the matrices W1, W2, X."""

    name: str


@dataclass(frozen=True)
class Ident(Node):
    """An identity matrix; `size` is 'm', 'n', 'k', or None to take it from the context."""

    size: str | None = None


@dataclass(frozen=True)
class Zero(Node):
    """A zero matrix whose shape comes from its context (`0` as a term or a side)."""


@dataclass(frozen=True)
class Num(Node):
    """An exact rational scalar."""

    value: Fraction


@dataclass(frozen=True)
class Add(Node):
    """A sum of two or more terms (a difference is a sum with a -1 factor)."""

    terms: tuple


@dataclass(frozen=True)
class Mul(Node):
    """A product of two or more factors, in order (scalars may sit anywhere)."""

    factors: tuple


@dataclass(frozen=True)
class T(Node):
    """The transpose of its argument."""

    arg: Node


@dataclass(frozen=True)
class Trace(Node):
    """The trace of a square argument: a number, typed like a scalar constant."""

    arg: Node


def is_number(node: Node) -> bool:
    """Whether a node is a plain scalar constant."""
    return isinstance(node, Num)


def children(node: Node) -> tuple:
    """The direct subtrees of a node (none for a leaf)."""
    if isinstance(node, Add):
        return node.terms
    if isinstance(node, Mul):
        return node.factors
    if isinstance(node, (T, Trace)):
        return (node.arg,)
    return ()


def has_trace(node: Node) -> bool:
    """Whether a trace (or a squared Frobenius norm) appears anywhere in a tree."""
    return isinstance(node, Trace) or any(has_trace(c) for c in children(node))


def scale(c: Fraction, node: Node) -> Node:
    """`c * node`, folding constants so that scalars stay one Num."""
    if c == 1:
        return node
    if isinstance(node, Num):
        return Num(c * node.value, span=node.span)
    if isinstance(node, Mul):
        return make_mul((Num(c, span=node.span),) + node.factors, node.span)
    return Mul((Num(c, span=node.span), node), span=node.span)


def make_mul(factors, span) -> Node:
    """A product, flattened, with its scalar factors folded into one leading Num."""
    flat = []
    for f in factors:
        flat.extend(f.factors if isinstance(f, Mul) else (f,))
    c = Fraction(1)
    rest = []
    for f in flat:
        if isinstance(f, Num):
            c *= f.value
        else:
            rest.append(f)
    if not rest:
        return Num(c, span=span)
    if c == 0:
        # 0*A is a zero matrix, but its shape still matters (0*W1 is k x m), so keep the factors.
        return Mul((Num(c, span=span), *rest), span=span)
    if c != 1:
        rest.insert(0, Num(c, span=span))
    return rest[0] if len(rest) == 1 else Mul(tuple(rest), span=span)


def make_add(terms, span) -> Node:
    """A sum, flattened, with constant terms folded (a literal 0 among matrices becomes Zero)."""
    flat = []
    for t in terms:
        flat.extend(t.terms if isinstance(t, Add) else (t,))
    nums = [t for t in flat if isinstance(t, Num)]
    mats = [t for t in flat if not isinstance(t, Num)]
    if not mats:
        return Num(sum((t.value for t in nums), Fraction(0)), span=span)
    # A number added to a matrix is only meaningful when it is 0; others are kept so the
    # shape check can point at them ("did you mean 2I?").
    kept = [t for t in nums if t.value != 0]
    out = mats + kept
    return out[0] if len(out) == 1 else Add(tuple(out), span=span)


def size(node: Node) -> int:
    """The number of nodes in a tree."""
    return 1 + sum(size(c) for c in children(node))


# ---------------------------------------------------------------- parsing

_GRAMMAR = (Path(__file__).with_name("matexpr.lark")).read_text(encoding="utf-8")

# What each terminal means to a student, for "expected ..." in parse errors.
_EXPECTED_WORDS = {
    "W1": "a matrix (W1, W2, X, I)", "W2": "a matrix (W1, W2, X, I)", "X": "a matrix (W1, W2, X, I)",
    "IDENT": "a matrix (W1, W2, X, I)", "ZERO": "a matrix (W1, W2, X, I)",
    "NUMBER": "a number", "LPAR": "'('", "LSQB": "'['", "LBRACE": "'{'", "FRAC": "\\frac",
    "RPAR": "')'", "RSQB": "']'", "RBRACE": "'}'",
    "ADDOP": "'+' or '-'", "MULOP": "'*' or '@'", "DIVOP": "'/'",
    "TRANSPOSE": "a transpose (.T, ^T, ')", "POWER": "a transpose (.T, ^T, ')",
    "$END": "the end of the expression",
    # A trace or a norm may stand wherever a matrix may, and LALR offers a norm's closing bar
    # wherever a ')' is offered; naming them in every hint would lengthen the usual one
    # (a matrix, a number, a bracket) for forms that few answers need.
    "TRACE": None, "NORM": None, "NORM_F2": None,
}
_WORD = re.compile(r"\\?[A-Za-z][A-Za-z0-9_]*")
_EXPECTED_ORDER = list(dict.fromkeys(_EXPECTED_WORDS.values()))


class _Build:
    """Lark callbacks that build the tree while parsing (no parse tree is kept).

    Running as the LALR parser's inline transformer means no recursion over a
    parse tree, and the node count is enforced while the input is still being read.
    """

    def __init__(self, text: str, offset: int):
        self.reset(text, offset)

    def reset(self, text: str, offset: int) -> None:
        """Start a new parse of `text`, whose parsed part begins at `offset`."""
        self.text, self.offset, self.nodes = text, offset, 0

    def _count(self, node: Node) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormatError(f"this expression is too long (more than {MAX_NODES} parts); simplify it")
        # Scalars are exact fractions; bound them so that evaluation in float64 cannot overflow.
        lead = node.factors[0] if isinstance(node, Mul) else node
        if isinstance(lead, Num) and (abs(lead.value.numerator) > MAX_NUMBER or lead.value.denominator > MAX_NUMBER):
            raise FormatError(_caret(self.text, lead.span[0],
                                     f"this number is out of range (numerators and denominators up to {MAX_NUMBER:g})"))
        return node

    def _span(self, tok: Token) -> tuple:
        return (tok.start_pos + self.offset, tok.end_pos + self.offset)

    # atoms ---------------------------------------------------------
    def atom(self, children):
        """A symbol, identity, zero, number, or a bracketed group."""
        if len(children) == 3:  # a bracketed group: keep the group's full span
            inner = children[1]
            return _respan(inner, (children[0].start_pos + self.offset, children[2].end_pos + self.offset))
        tok = children[0]
        sp = self._span(tok)
        kind = tok.type
        if kind in ("W1", "W2", "X"):
            return self._count(Sym(kind, span=sp))
        if kind == "IDENT":
            # The size letter, if any, is the last m/n/k after '_' (I_k, I_{m}) or glued on (Ik);
            # the 'm' of \\mathbb is not one, since that spelling ends in '}'.
            letter = next((ch for ch in reversed(tok.value) if ch in "mnk"), None)
            return self._count(Ident(letter if "_" in tok.value or tok.value[-1] in "mnk" else None, span=sp))
        if kind == "ZERO":
            return self._count(Zero(span=sp))
        return self._count(Num(Fraction(tok.value), span=sp))

    def frac(self, children):
        """\\frac{top}{bottom}: a division by a number."""
        _, _, top, _, _, bottom, close = children
        sp = (children[0].start_pos + self.offset, close.end_pos + self.offset)
        return self._count(_divide(top, bottom, sp, self.text))

    def trace(self, children):
        """tr(A), in any spelling: the trace of the bracketed argument."""
        name, _, arg, close = children
        sp = (name.start_pos + self.offset, close.end_pos + self.offset)
        return self._count(Trace(arg, span=sp))

    def frobenius(self, children):
        """‖A‖_F²: the sum of the squared entries, read as tr(AᵀA)."""
        bar, arg, close = children
        sp = (bar.start_pos + self.offset, close.end_pos + self.offset)
        # A appears twice in tr(AᵀA); count it twice, so that the bound holds for the tree's size.
        self.nodes += size(arg)
        gram = self._count(make_mul((self._count(T(arg, span=arg.span)), arg), arg.span))
        return self._count(Trace(gram, span=sp))

    # postfix -------------------------------------------------------
    def post(self, children):
        """One postfix mark (a transpose or another exponent)."""
        return children[0]

    def factor(self, children):
        """An atom with its transposes applied; any other exponent is refused."""
        node = children[0]
        for tok in children[1:]:
            if tok.type == "POWER":
                raise FormatError(_caret(self.text, tok.start_pos + self.offset,
                                         f"only a transpose is allowed as an exponent here "
                                         f"(write ^T, .T or '), not {_q(tok.value.strip())}"))
            node = self._count(T(node, span=(node.span[0], tok.end_pos + self.offset)))
        return node

    # signs, products, sums ----------------------------------------
    def signed(self, children):
        """A factor after '*' or '/', with its own unary signs."""
        *signs, node = children
        return _apply_signs(signs, node)

    def explicit_product(self, children):
        """'* factor' or '@ factor'."""
        return ("*", children[1])

    def division(self, children):
        """'/ factor'."""
        return ("/", children[1])

    def juxtaposition(self, children):
        """A factor written right after another: a product."""
        return ("*", children[0])

    def product(self, children):
        """Fold the factors left to right into one product."""
        node = children[0]
        for op, rhs in children[1:]:
            sp = (node.span[0], rhs.span[1])
            node = _divide(node, rhs, sp, self.text) if op == "/" else make_mul((node, rhs), sp)
            self._count(node)
        return node

    def head(self, children):
        """A term with its leading unary signs."""
        *signs, node = children
        return _apply_signs(signs, node)

    def sum(self, children):
        """Fold the terms into one sum; '-' scales a term by -1."""
        node = children[0]
        for i in range(1, len(children), 2):
            term = children[i + 1]
            if children[i].value != "+":
                term = scale(Fraction(-1), term)
            node = self._count(make_add((node, term), (node.span[0], term.span[1])))
        return node

    def start(self, children):
        """The whole expression."""
        return children[0]


def _apply_signs(signs, node: Node) -> Node:
    """Apply a run of unary + and - signs to a node."""
    minus = sum(1 for s in signs if s.value != "+") % 2
    return scale(Fraction(-1), node) if minus else node


def _respan(node: Node, span: tuple) -> Node:
    """The same node with a wider source span (brackets included)."""
    fields = {f: getattr(node, f) for f in node.__dataclass_fields__ if f != "span"}
    return type(node)(**fields, span=span)


def _divide(top: Node, bottom: Node, span: tuple, text: str) -> Node:
    """`top / bottom`, allowed only when the bottom is a nonzero number."""
    if not isinstance(bottom, Num):
        raise FormatError(_caret(text, bottom.span[0],
                                 "only division by a number is allowed; "
                                 f"{_q(text[bottom.span[0]:bottom.span[1]])} is a matrix"))
    if bottom.value == 0:
        raise FormatError(_caret(text, bottom.span[0], "division by zero"))
    return scale(1 / bottom.value, _respan(top, span) if isinstance(top, Num) else top)


def _caret(text: str, column: int, message: str) -> str:
    """`message`, then the text with a caret under the 0-based `column`."""
    line = text.replace("\n", " ").replace("\t", " ")
    return f"{message}\n  {line}\n  {' ' * column}^"


def _expected(names) -> str:
    words = {_EXPECTED_WORDS.get(n, n) for n in names} - {None}
    ordered = [w for w in _EXPECTED_ORDER if w in words] + sorted(words - set(_EXPECTED_ORDER))
    return ", ".join(ordered)


def _check_bounds(text: str) -> None:
    """Cheap guards run before the parser sees the text."""
    if len(text) > MAX_LENGTH:
        raise FormatError(f"this expression is too long ({len(text)} characters; at most {MAX_LENGTH})")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise FormatError(f"this expression nests brackets too deeply (more than {MAX_DEPTH} levels)")


def parse(text: str, offset: int = 0, full_text: str | None = None) -> Node:
    """Parse one matrix expression; FormatError with a caret on any problem.

    `offset` and `full_text` place the expression inside a longer string (one
    side of an equation), so carets point into what the student wrote.
    """
    full = text if full_text is None else full_text
    _check_bounds(text)
    if not text.strip():
        raise FormatError(_caret(full, offset, "this expression is empty"))
    try:
        with _LOCK:
            _BUILD.reset(full, offset)
            return _PARSER.parse(text)
    except UnexpectedCharacters as e:
        col = offset + e.pos_in_stream
        word = _WORD.match(text, e.pos_in_stream)
        what = f"unknown name {_q(word.group())}" if word else f"unexpected {_q(text[e.pos_in_stream])}"
        hint = " (the matrices are W1, W2, X and I)" if word else ""
        raise FormatError(_caret(full, col, f"cannot read this expression: {what} at column {col + 1}{hint}")
                          + (f"\nexpected: {_expected(e.allowed)}" if e.allowed else "")) from None
    except UnexpectedEOF as e:
        raise FormatError(_caret(full, offset + len(text.rstrip()), "cannot read this expression: it ends too early")
                          + f"\nexpected: {_expected(e.expected)}") from None
    except UnexpectedToken as e:
        if e.token.type == "$END":
            col = offset + len(text.rstrip())
            what = "it ends too early"
        else:
            col = offset + e.token.start_pos
            what = f"unexpected {_q(e.token.value)} at column {col + 1}"
        raise FormatError(_caret(full, col, f"cannot read this expression: {what}")
                          + f"\nexpected: {_expected(e.accepts or e.expected)}") from None
    except UnexpectedInput as e:  # any other Lark input error: still the student's text
        raise FormatError(_caret(full, offset + getattr(e, "pos_in_stream", 0), "cannot read this expression")) from None


# One parser, compiled once; the callbacks object holds per-parse state (the
# text for carets, the node count), so parses are serialized by a lock.
_BUILD = _Build("", 0)
_PARSER = Lark(_GRAMMAR, parser="lalr", lexer="contextual", transformer=_BUILD, maybe_placeholders=False)
_LOCK = threading.Lock()


# ---------------------------------------------------------------- equations

@dataclass(frozen=True)
class Equation:
    """A parsed condition `lhs = rhs`."""

    lhs: Node
    rhs: Node


# In a non-raw Python string, "\\top" arrives as a tab and "op", "\\frac" as a form feed and
# "rac", and so on. A control character glued to letters can only be such a lost backslash.
_LOST_BACKSLASH = re.compile(r"[\t\x0c\r\x08\x07\x0b](?=[A-Za-z])")
_ESCAPES = {"\t": "\\t", "\x0c": "\\f", "\r": "\\r", "\x08": "\\b", "\x07": "\\a", "\x0b": "\\v"}


def repair_escapes(text: str) -> str:
    """Undo Python escapes that ate a LaTeX backslash ('\\t'+'op' back to '\\top')."""
    return _LOST_BACKSLASH.sub(lambda mt: _ESCAPES[mt.group()], text)


def parse_equation(text: str) -> Equation:
    """Parse `lhs = rhs` (exactly one '='); a side that is `0` is a zero matrix."""
    if len(text) > MAX_LENGTH:
        raise FormatError(f"this condition is too long ({len(text)} characters; at most {MAX_LENGTH})")
    cut = text.find("=")
    if cut < 0:
        raise FormatError(_caret(text, len(text.rstrip()), "a condition needs the form 'lhs = rhs'; there is no '='"))
    width = 2 if text.startswith("==", cut) else 1  # Python's == reads as =
    if text.find("=", cut + width) >= 0:
        raise FormatError(_caret(text, text.find("=", cut + width), "a condition has exactly one '='; this is a second one"))
    lhs = parse(text[:cut], 0, text)
    rhs = parse(text[cut + width:], cut + width, text)
    return Equation(_zero_side(lhs), _zero_side(rhs))


def parse_answer(text: str) -> Node:
    """Parse an answer that may carry a label: in `dL/dW1 = expr` only the part after the last '=' counts."""
    if len(text) > MAX_LENGTH:
        raise FormatError(f"this expression is too long ({len(text)} characters; at most {MAX_LENGTH})")
    cut = text.rfind("=")
    return parse(text[cut + 1:], cut + 1, text) if cut >= 0 else parse(text)


def _zero_side(node: Node) -> Node:
    return Zero(span=node.span) if isinstance(node, Num) and node.value == 0 else node


# ---------------------------------------------------------------- shapes

class _Dims:
    """Union-find over size names ('m', 'n', 'k') and unknowns (ints) for identities and zeros."""

    def __init__(self):
        self.parent: dict = {}
        self.fresh = 0

    def new(self) -> int:
        """A fresh unknown size."""
        self.fresh += 1
        return self.fresh

    def find(self, d):
        """The representative of a size."""
        while d in self.parent:
            d = self.parent[d]
        return d

    def unify(self, a, b) -> bool:
        """Make two sizes equal; False when both are known and differ."""
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if isinstance(a, str) and isinstance(b, str):
            return False
        if isinstance(a, str):
            a, b = b, a
        self.parent[a] = b  # an unknown always points at the known side
        return True


def _q(text: str) -> str:
    """Quote a piece of the student's expression as written (repr would double every LaTeX backslash)."""
    return f'"{text}"' if "'" in text else f"'{text}'"


def show_shape(shape) -> str:
    """'k×m' for a matrix shape, 'a number' for a scalar."""
    return "a number" if shape is None else f"{shape[0]}×{shape[1]}"


@dataclass(frozen=True)
class Typed:
    """A shape-checked expression: identities and zeros sized, and its shape ('k','m') or None for a number."""

    tree: Node
    shape: tuple | None


def typecheck(node: Node, text: str, fit: tuple | None = None, dims: _Dims | None = None) -> Typed:
    """Check that every sum and product fits; FormatError with a caret at the first misfit.

    `fit` is the shape the answer should have; it only sizes identities and
    zeros that the expression itself leaves open, it is never forced.
    """
    dims = dims or _Dims()
    unknowns: dict = {}
    shape = _infer(node, text, dims, unknowns)
    if fit is not None and shape is not None:
        if dims.unify(shape[0], fit[0]) and dims.unify(shape[1], fit[1]):
            pass
    return _resolve(node, shape, text, dims, unknowns)


def typecheck_equation(eq: Equation, text: str) -> tuple[Typed, Typed]:
    """Typecheck both sides of a condition together: they must have the same shape."""
    dims = _Dims()
    unknowns: dict = {}
    left = _infer(eq.lhs, text, dims, unknowns)
    right = _infer(eq.rhs, text, dims, unknowns)
    # A side `0` was read as a zero matrix; beside a number (a trace) it is the number 0.
    if left is None and isinstance(eq.rhs, Zero):
        eq, right = Equation(eq.lhs, Num(Fraction(0), span=eq.rhs.span)), None
    elif right is None and isinstance(eq.lhs, Zero):
        eq, left = Equation(Num(Fraction(0), span=eq.lhs.span), eq.rhs), None
    if left is None or right is None:
        if not (left is None and right is None):
            side = eq.lhs if left is None else eq.rhs
            raise FormatError(_caret(text, side.span[0], "one side of the condition is a number and the other a matrix"))
    elif not (dims.unify(left[0], right[0]) and dims.unify(left[1], right[1])):
        raise FormatError(_caret(text, eq.rhs.span[0],
                                 f"the two sides have different shapes: the left is {_show(left, dims)}, "
                                 f"the right is {_show(right, dims)}"))
    return _resolve(eq.lhs, left, text, dims, unknowns), _resolve(eq.rhs, right, text, dims, unknowns)


def _show(shape, dims: _Dims) -> str:
    if shape is None:
        return "a number"
    r, c = (dims.find(d) for d in shape)
    return f"{r if isinstance(r, str) else '?'}×{c if isinstance(c, str) else '?'}"


def _quote(text: str, node: Node) -> str:
    return text[node.span[0]:node.span[1]].strip() or "?"


def _infer(node: Node, text: str, dims: _Dims, unknowns: dict):
    """The shape of `node` as (rows, cols) of size names or unknowns; None for a number."""
    if isinstance(node, Sym):
        return SYMBOL_SHAPES[node.name]
    if isinstance(node, Num):
        return None
    if isinstance(node, Ident):
        d = node.size or unknowns.setdefault(id(node), dims.new())
        return (d, d)
    if isinstance(node, Zero):
        return unknowns.setdefault(id(node), (dims.new(), dims.new()))
    if isinstance(node, SizedZero):
        return (node.rows, node.cols)
    if isinstance(node, T):
        inner = _infer(node.arg, text, dims, unknowns)
        return None if inner is None else (inner[1], inner[0])
    if isinstance(node, Trace):
        inner = _infer(node.arg, text, dims, unknowns)
        # A number is a 1×1 matrix, its own trace; a matrix must be square.
        if inner is not None and not dims.unify(inner[0], inner[1]):
            raise FormatError(_caret(text, node.arg.span[0],
                                     f"the trace needs a square matrix, but {_q(_quote(text, node.arg))} is "
                                     f"{_show(inner, dims)}"))
        return None
    if isinstance(node, Mul):
        current, left = None, None
        for f in node.factors:
            s = _infer(f, text, dims, unknowns)
            if s is None:
                continue
            if current is None:
                current, left = s, f
                continue
            if not dims.unify(current[1], s[0]):
                left_text = text[left.span[0]:f.span[0]].strip().rstrip("*@").strip() or _quote(text, left)
                raise FormatError(_caret(
                    text, f.span[0],
                    f"these matrices cannot be multiplied: {_q(left_text)} is {_show(current, dims)} "
                    f"but {_q(_quote(text, f))} is {_show(s, dims)} "
                    f"({_show_dim(current[1], dims)} columns against {_show_dim(s[0], dims)} rows)"))
            current = (current[0], s[1])
        return current
    if isinstance(node, Add):
        shapes = [(_infer(t, text, dims, unknowns), t) for t in node.terms]
        mats = [(s, t) for s, t in shapes if s is not None]
        if not mats:
            return None  # a sum of numbers (traces among them)
        if len(mats) != len(shapes):
            lone = next(t for s, t in shapes if s is None)
            raise FormatError(_caret(text, lone.span[0],
                                     f"a number cannot be added to a matrix: {_q(_quote(text, lone))} is a number"
                                     + (f" (did you mean {_quote(text, lone)}I?)" if isinstance(lone, Num) else "")))
        first, first_term = mats[0]
        for s, t in mats[1:]:
            if not (dims.unify(first[0], s[0]) and dims.unify(first[1], s[1])):
                raise FormatError(_caret(text, t.span[0],
                                         f"these matrices cannot be added: {_q(_quote(text, first_term))} is "
                                         f"{_show(first, dims)} but {_q(_quote(text, t))} is {_show(s, dims)}"))
        return first
    raise ConfigError(f"unknown node {type(node).__name__}")


def _show_dim(d, dims: _Dims) -> str:
    d = dims.find(d)
    return d if isinstance(d, str) else "?"


def _resolve(node: Node, shape, text: str, dims: _Dims, unknowns: dict) -> Typed:
    """Replace each open identity and zero by its now-known size."""

    def known(d, where: Node) -> str:
        """The size name `d` stands for; FormatError when it is still unknown."""
        d = dims.find(d)
        if not isinstance(d, str):
            raise FormatError(_caret(text, where.span[0],
                                     f"the size of {_q(_quote(text, where))} cannot be told from the expression; "
                                     "write I_m or I_k"))
        return d

    def walk(n: Node) -> Node:
        """The node with its open sizes filled in."""
        if isinstance(n, Ident) and n.size is None:
            return Ident(known(unknowns[id(n)], n), span=n.span)
        if isinstance(n, Zero):
            r, c = unknowns[id(n)]
            return SizedZero(known(r, n), known(c, n), span=n.span)
        if isinstance(n, T):
            return T(walk(n.arg), span=n.span)
        if isinstance(n, Trace):
            return Trace(walk(n.arg), span=n.span)
        if isinstance(n, Mul):
            return Mul(tuple(walk(f) for f in n.factors), span=n.span)
        if isinstance(n, Add):
            return Add(tuple(walk(t) for t in n.terms), span=n.span)
        return n

    tree = walk(node)
    out = None if shape is None else (known(shape[0], node), known(shape[1], node))
    return Typed(tree, out)


@dataclass(frozen=True)
class SizedZero(Node):
    """A zero matrix after shape checking: rows and cols are size names."""

    rows: str
    cols: str


# ---------------------------------------------------------------- evaluation and printing

def evaluate(tree: Node, env: dict, sizes: dict):
    """The value of a typed tree at matrices `env` (name -> array) and sizes (name -> int)."""
    if isinstance(tree, Sym):
        return env[tree.name]
    if isinstance(tree, Num):
        return float(tree.value)
    if isinstance(tree, Ident):
        return np.eye(sizes[tree.size])
    if isinstance(tree, SizedZero):
        return np.zeros((sizes[tree.rows], sizes[tree.cols]))
    if isinstance(tree, T):
        v = evaluate(tree.arg, env, sizes)
        return v.T if isinstance(v, np.ndarray) else v
    if isinstance(tree, Trace):
        v = evaluate(tree.arg, env, sizes)
        return float(np.trace(v)) if isinstance(v, np.ndarray) else v
    if isinstance(tree, Mul):
        out = 1.0
        for f in tree.factors:
            v = evaluate(f, env, sizes)
            out = out @ v if isinstance(out, np.ndarray) and isinstance(v, np.ndarray) else out * v
        return out
    if isinstance(tree, Add):
        total = evaluate(tree.terms[0], env, sizes)
        for t in tree.terms[1:]:
            total = total + evaluate(t, env, sizes)
        return total
    raise ConfigError(f"cannot evaluate a {type(tree).__name__}")



def to_text(tree: Node) -> str:
    """The tree in plain notation, e.g. '(W1 + W2.T)*X*X.T'."""
    if isinstance(tree, Sym):
        return tree.name
    if isinstance(tree, Num):
        return str(tree.value)
    if isinstance(tree, Ident):
        return "I" if tree.size is None else f"I_{tree.size}"
    if isinstance(tree, (Zero, SizedZero)):
        return "0"
    if isinstance(tree, T):
        inner = to_text(tree.arg)
        return (inner if isinstance(tree.arg, (Sym, Ident)) else f"({inner})") + ".T"
    if isinstance(tree, Trace):
        return f"tr({to_text(tree.arg)})"
    if isinstance(tree, Mul):
        parts = []
        for f in tree.factors:
            s = to_text(f)
            parts.append(f"({s})" if isinstance(f, Add) or (isinstance(f, Num) and f.value < 0) else s)
        lead = tree.factors[0]
        if isinstance(lead, Num) and lead.value < 0:  # -2*X rather than (-2)*X
            parts[0] = "" if lead.value == -1 else str(-lead.value)
            return "-" + "*".join(p for p in parts if p)
        return "*".join(parts)
    if isinstance(tree, Add):
        out = to_text(tree.terms[0])
        for t in tree.terms[1:]:
            s = to_text(t)
            out += f" - {s[1:]}" if s.startswith("-") else f" + {s}"
        return out
    raise ConfigError(f"cannot print a {type(tree).__name__}")


def rename(tree: Node, mapping: dict) -> Node:
    """The tree with symbols renamed (e.g. W1 <-> W2), for diagnosing mix-ups."""
    if isinstance(tree, Sym):
        return Sym(mapping.get(tree.name, tree.name), span=tree.span)
    if isinstance(tree, T):
        return T(rename(tree.arg, mapping), span=tree.span)
    if isinstance(tree, Trace):
        return Trace(rename(tree.arg, mapping), span=tree.span)
    if isinstance(tree, Mul):
        return Mul(tuple(rename(f, mapping) for f in tree.factors), span=tree.span)
    if isinstance(tree, Add):
        return Add(tuple(rename(t, mapping) for t in tree.terms), span=tree.span)
    return tree


def swap_gram(tree: Node) -> Node:
    """The tree with every adjacent X^T X turned into X X^T (and back), for the XᵀX diagnosis."""
    if isinstance(tree, T):
        return T(swap_gram(tree.arg), span=tree.span)
    if isinstance(tree, Trace):
        return Trace(swap_gram(tree.arg), span=tree.span)
    if isinstance(tree, Add):
        return Add(tuple(swap_gram(t) for t in tree.terms), span=tree.span)
    if isinstance(tree, Mul):
        fs = [swap_gram(f) for f in tree.factors]
        i = 0
        while i + 1 < len(fs):
            a, b = fs[i], fs[i + 1]
            if a == T(Sym("X")) and b == Sym("X"):
                fs[i], fs[i + 1] = Sym("X", span=a.span), T(Sym("X"), span=b.span)
                i += 2
                continue
            i += 1
        return Mul(tuple(fs), span=tree.span)
    return tree


def from_sympy(expr) -> Node:
    """Convert a trusted sympy matrix expression (the reference) into a tree."""
    import sympy as sp

    if isinstance(expr, sp.MatrixSymbol):
        return Sym(str(expr.name))
    if isinstance(expr, sp.Identity):
        return Ident(str(expr.rows))
    if isinstance(expr, sp.ZeroMatrix):
        return SizedZero(str(expr.rows), str(expr.cols))
    if isinstance(expr, sp.Transpose):
        return T(from_sympy(expr.arg))
    if isinstance(expr, sp.MatMul):
        return make_mul(tuple(from_sympy(a) for a in expr.args), (0, 0))
    if isinstance(expr, sp.MatAdd):
        return make_add(tuple(from_sympy(a) for a in expr.args), (0, 0))
    if isinstance(expr, sp.Trace):
        return Trace(from_sympy(expr.arg))
    # Scalar products and sums (of traces); after MatMul and MatAdd, which are subclasses of these.
    if isinstance(expr, sp.Mul):
        return make_mul(tuple(from_sympy(a) for a in expr.args), (0, 0))
    if isinstance(expr, sp.Add):
        return make_add(tuple(from_sympy(a) for a in expr.args), (0, 0))
    if isinstance(expr, sp.Rational):
        return Num(Fraction(int(expr.p), int(expr.q)))
    raise ConfigError(f"from_sympy: unsupported {type(expr).__name__}: {expr}")


def to_sympy(tree: Node):
    """The tree as a sympy expression over MatrixSymbols W1, W2, X (a matrix, or a number with traces; display only)."""
    import sympy as sp

    m, n, k = sp.symbols("m n k", positive=True, integer=True)
    size_of = {"m": m, "n": n, "k": k}
    symbols = {"W1": sp.MatrixSymbol("W1", k, m), "W2": sp.MatrixSymbol("W2", m, k), "X": sp.MatrixSymbol("X", m, n)}

    def conv(t):
        """One node as sympy."""
        if isinstance(t, Sym):
            return symbols[t.name]
        if isinstance(t, Num):
            return sp.Rational(t.value.numerator, t.value.denominator)
        if isinstance(t, Ident):
            return sp.Identity(size_of[t.size])
        if isinstance(t, SizedZero):
            return sp.ZeroMatrix(size_of[t.rows], size_of[t.cols])
        if isinstance(t, T):
            return sp.Transpose(conv(t.arg))
        if isinstance(t, Trace):
            inner = conv(t.arg)
            return sp.Trace(inner) if inner.is_Matrix else inner  # a number is its own trace
        if isinstance(t, Mul):
            return sp.MatMul(*[conv(f) for f in t.factors]).doit()
        if isinstance(t, Add):
            terms = [conv(a) for a in t.terms]
            # MatAdd refuses numbers; a sum of traces is a plain sum.
            return sp.MatAdd(*terms).doit() if any(a.is_Matrix for a in terms) else sp.Add(*terms)
        raise ConfigError(f"to_sympy: cannot convert a {type(t).__name__}")

    return conv(tree)
