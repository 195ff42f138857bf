"""Reading the pca_autoencoder answers out of a chat transcript (text parsing only; nothing is run).

The problem's part of the chat runs from the first mention, in any turn, of
PCA (or principal components, a linear autoencoder, first-order conditions)
up to the first sign of another problem (ResNet, machine translation, a
regularized autoencoder); of it, the assistant's turns are read, except those
about the regularized autoencoder (they name the penalty ‖W1‖, weight decay or
a regularized autoencoder), which also speak of linear autoencoders. In it:

- `grad_W1`, `grad_W2`: the last displayed equation whose left side is
  ∂L/∂W1 (∂L/∂W2); its final right-hand side is the answer (a final `= 0` is
  passed over, it states a condition).
- `first_order_conditions`: the displayed equations tagged "Condition 1" and
  "Condition 2" (the last of each), or else the first two readable
  one-equation rows after a line about first-order (optimality) conditions.
  A row `∂L/∂W1 = 0` stands for the gradient found above set to zero.
- `pca_argument`: the last section headed part (ii), capped in length.
- `pca_weights` is code, which a transcript cannot answer (the engine says so).

Every derivation chain in the math, displayed or inline (`A = B = C`, a
displayed row may go on from the one before with a leading `=`), whose sides
`matexpr` can read (traces and squared Frobenius norms included) is checked
step by step at random matrices; the first step that does not hold is named
in a note. A two-sided `A = B` is taken for a step only when both sides read
and each has a trace, as in tr(XᵀW2W1X) = tr(W1XXᵀW2): such a rewrite of a
number states an identity, where other two-sided equations are usually
conditions or definitions (a first-order condition, W1 = U_kᵀ) that hold only at
some points. `U_k` (the top-k eigenvectors of XXᵀ) may appear: when the
chat sets W1 = U_kᵀ and W2 = U_k, or when the chain uses only U_k, such a
chain is checked at points where U_k is computed from X, and an eigenvalue
matrix (S², D_k, Λ_k) that the chat defines by XXᵀU_k = U_k(·) stands for
U_kᵀXXᵀU_k. Chains using other symbols (U, Σ, V, block matrices) are
counted as not checked, never as wrong.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from grader import transcript as tx
from grader.errors import FormatError
from problems.pca_autoencoder import matexpr
from problems.pca_autoencoder.equivalence import Draw, draws, values

# Where this problem's part of the chat starts, and what ends it (another problem).
START = r"\bPCA\b|principal component|linear auto-?encoder|first[- ]order (?:optimality )?condition"
STOPS = [r"\bres-?net", r"machine translation", r"\bseq2seq\b", r"regulari[sz]ed\s+(?:linear\s+)?auto-?encoder",
         r"(?:\\ell|ℓ)\s*_?\s*\{?2\}?\s*-?\s*regulari[sz]"]
# A turn about the regularized autoencoder (its penalty ‖W1‖, weight decay): another problem, left out whole,
# since it too speaks of linear autoencoders and principal components.
REGULARIZED_TURN = re.compile(r"regulari[sz]ed|weight decay|"
                              r"\\\|\s*W\s*_?\s*\{?\s*[12]\s*\}?\s*\\\||‖\s*W\s*_?\s*[12₁₂]\s*‖", re.IGNORECASE)
REGULARIZED_LEAD_LINES = 2  # a turn about that problem says so in its first lines ...
REGULARIZED_HITS = 3  # ... or mentions it this often
MAX_ARGUMENT_CHARS = 4000
MAX_NOTE_SIDE = 160
MAX_CHAINS = 100  # chains checked per transcript
MAX_SIDES = 24  # an equation with more sides is not taken for a derivation
MAX_CONDITION_ROWS = 40  # rows after the mention of first-order conditions where they are looked for
TAIL = 200  # characters at the end of a row where a tag is looked for
MAX_BLOCK = 4000  # characters of one displayed block; longer ones cannot be read anyway
MAX_INLINE = 400  # characters of one inline formula

# A heading of a part: "Part (ii): ...", "### (i) ...", "**Part (ii)** ...".
PART_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?[*_]{0,2}\s*(?:part|question|q)?\s*\(\s*(i{1,3}|iv|v|[a-h])\s*\)",
                          re.IGNORECASE)
# ∂L/∂W_1 in the usual spellings: \frac{\partial \mathcal{L}}{\partial W_1}, \nabla_{W_1} L, dL/dW1.
_W = r"(?:\\mathbf\{W\}|\\boldsymbol\{W\}|\\bm\{W\}|W)\s*_?\s*\{?\s*([12])\s*\}?"
_L = r"(?:\\mathcal\{L\}|\\mathcal L|\\ell|L|J|\\mathcal\{J\}|f)"
GRADIENT_LABEL = re.compile(
    r"^\s*(?:\\[dt]?frac\s*\{\s*(?:\\partial|\\mathrm\{d\}|d|∂)\s*" + _L
    + r"\s*\}\s*\{\s*(?:\\partial|\\mathrm\{d\}|d|∂)\s*" + _W + r"\s*\}"
    r"|\\nabla\s*_\s*\{?\s*" + _W + r"\s*\}?\s*" + _L +
    r"|(?:∂|d)\s*" + _L + r"\s*/\s*(?:∂|d)\s*" + _W + r")\s*(?:\([^()=]*\))?\s*$")
# A side that is only a name for something (the loss, a derivative, LHS/RHS): not checked.
LABEL_SIDE = re.compile(r"^\s*(?:\\[dt]?frac\s*\{\s*(?:\\partial|d)|\\nabla|\\mathcal\{L\}|\\text\{(?:LHS|RHS)\}|"
                        r"(?:LHS|RHS)\s*$|L\s*$|∂)")
# Rows with these are statements of another kind (definitions, implications, inequalities), not chains.
NOT_A_CHAIN = re.compile(r":=|=:|\\neq?(?![A-Za-z])|\\[lg]eq?(?![A-Za-z])|\\approx|\\Rightarrow|\\implies|\\iff|"
                         r"\\to\b|\\rightarrow|\\Longrightarrow|\\in\b|\\propto|\\sim\b|\\equiv|\\triangleq|"
                         r"[<>≤≥≈⇒→∈]")
MATRIX_ENV = re.compile(r"\\begin\{(?:[pbvBV]?matrix|smallmatrix|array|cases)\}")
# The condition tag: "(\text{Condition 1})", "\tag{Condition 2}", "\text{(FOC 1)}".
TAG = re.compile(r"(?:\\q?quad|\\[,;: ]|\s)*(?:\\tag\*?\{([^{}]*)\}|\(\s*\\text\{([^{}]*)\}\s*\)|"
                 r"\\q?quad\s*\\text\{\s*\(?([^{}]*?)\)?\s*\})\s*[.,;]?\s*$")
CONDITION_TAG = re.compile(r"(?:condition|FOC|optimality)\s*(\d)", re.IGNORECASE)
CONDITIONS_MENTION = re.compile(r"first[- ]order|optimality conditions?|stationary|critical point|"
                                r"set(?:ting)?\s+(?:the\s+|both\s+)?(?:gradients?|derivatives?)\s+"
                                r"(?:to|equal to)\s+zero",
                                re.IGNORECASE)
# U_k and its eigenvalue matrix, as the chat may write them.
U_K = re.compile(r"(?:\\mathbf\{U\}|\\boldsymbol\{U\}|U)\s*_\s*(?:\{\s*k\s*\}|k)")
# Each spelling of the eigenvalue matrix, as a family: the one the chat defines is substituted in all its spellings.
EIGEN_FAMILIES = (r"S\s*\^\s*(?:\{\s*2\s*\}|2)", r"D\s*_\s*(?:\{\s*k\s*\}|k)",
                  r"(?:\\Lambda|Λ)\s*(?:_\s*(?:\{\s*k\s*\}|k))?",
                  r"\\Sigma\s*_\s*(?:\{\s*k\s*\}|k)\s*\^\s*(?:\{\s*2\s*\}|2)")
EIGENVALUES = "(?:" + "|".join(EIGEN_FAMILIES) + ")"
EIGEN_EQUATION = re.compile(r"X\s*X\s*\^\s*\{?\s*(?:\\top|T)\s*\}?\s*(?:\\cdot\s*)?" + U_K.pattern + r"\s*=\s*"
                            + U_K.pattern + r"\s*(?:\\cdot\s*)?(" + EIGENVALUES + r")(?![A-Za-z0-9_^])")
PCA_SUBSTITUTION_W1 = re.compile(r"W\s*_\s*\{?\s*1\s*\}?\s*=\s*" + U_K.pattern + r"\s*\^\s*\{?\s*(?:\\top|T)")
PCA_SUBSTITUTION_W2 = re.compile(r"W\s*_\s*\{?\s*2\s*\}?\s*=\s*" + U_K.pattern + r"(?!\s*\^)")
HAS_W = re.compile(r"W\s*_?\s*\{?\s*[12]")
# A trace or a squared Frobenius norm as matexpr spells them: a cheap test before parsing a side.
TRACE_WORD = re.compile(r"\\(?:operatorname|mathrm|textrm|text)\s*\{\s*(?:tr|Tr|trace)\s*\}|\\(?:tr|Tr)(?![A-Za-z])|"
                        r"(?<![A-Za-z\\])(?:tr|Tr|trace)\s*(?:\\left\s*)?[(\[]|\\\||\|\||‖|\\[lr]?Vert")


# ---------------------------------------------------------------- where the answers are

def about_regularized(turn: str) -> bool:
    """Whether an assistant turn answers the regularized autoencoder rather than PCA.

    Such a turn names its topic early, or keeps coming back to it; a PCA answer
    that mentions weight decay once in passing ("unlike weight decay, ...") is kept.
    """
    opening = "\n".join([line for line in turn.splitlines() if line.strip()][:REGULARIZED_LEAD_LINES])
    return bool(REGULARIZED_TURN.search(opening)) or len(REGULARIZED_TURN.findall(turn)) >= REGULARIZED_HITS


def scope(text: str) -> list[str]:
    """The assistant's turns about this problem, clipped to its part of the chat (empty when PCA is never discussed).

    The part starts at the first mention of PCA in any turn (the question may
    name it where the answer does not) and ends at the first sign of another
    problem after it, in any turn. Assistant turns about the regularized
    autoencoder are left out.
    """
    out, started = [], False
    for turn in tx.turns(text):
        body = turn.text
        if not started:
            start = re.search(START, body, re.IGNORECASE)
            if start is None:
                continue
            started, body = True, body[start.start():]
        ends = [m.start() for p in STOPS for m in [re.search(p, body[1:], re.IGNORECASE)] if m]
        if ends:
            body = body[:min(ends) + 1]
        if turn.role == "assistant" and not about_regularized(body):
            out.append(body)
        if ends:
            break
    return out


def sections(turn: str) -> list[tuple[str | None, str]]:
    """A turn cut at its part headings: (label or None before the first heading, text)."""
    out, label, lines = [], None, []
    for line in turn.splitlines():
        m = PART_HEADING.match(line) if len(line) < 200 else None
        if m:
            if lines:
                out.append((label, "\n".join(lines)))
            label, lines = m.group(1).lower(), []
        lines.append(line)
    if lines:
        out.append((label, "\n".join(lines)))
    return out


# ---------------------------------------------------------------- displayed equations

@dataclass(frozen=True)
class Row:
    """One displayed equation (a row of an aligned block) or inline formula, cleaned, with its tag and part."""

    text: str
    tag: str | None
    part: str | None
    continues: bool  # it starts with '=' and goes on from the row before
    inline: bool = False  # an inline formula in running text


def unwrap(text: str, command: str) -> str:
    """`\\boxed{x}` → `x` (brace-matched), for every occurrence of the command."""
    out, i = [], 0
    while True:
        j = text.find(command + "{", i)
        if j < 0:
            return "".join(out) + text[i:]
        depth, k = 0, j + len(command)
        while k < len(text):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            if depth == 0:
                break
            k += 1
        if depth:
            return "".join(out) + text[i:]
        out.append(text[i:j] + text[j + len(command) + 1:k])
        i = k + 1


def clean(row: str) -> tuple[str, str | None]:
    """(the equation without layout, its tag or None)."""
    row = unwrap(row, "\\boxed")
    row = re.sub(r"\\checkmark|✓|✔|\\;|\\!", " ", row)
    row = row.replace("&", " ")
    # The tag and the trailing spacing are looked for in the row's end only, which keeps this linear.
    head, tail = row[:-TAIL], row[-TAIL:]
    tag = None
    m = TAG.search(tail)
    if m and "=" in head + tail[:m.start()]:
        tag = (m.group(1) or m.group(2) or m.group(3) or "").strip()
        tail = tail[:m.start()]
    tail = re.sub(r"(?:\\q?quad|\\[,: ])+\s*$", "", tail)
    return (head + tail).strip().rstrip(".,;").strip(), tag


def rows(body: str, part: str | None) -> list[Row]:
    """The displayed equations of a section, one per row of an aligned block."""
    out = []
    for block in tx.math_blocks(body):
        if len(block) > MAX_BLOCK:
            continue
        block = re.sub(r"\\(?:begin|end)\{(?:aligned|align\*?|gathered|gather\*?|split|equation\*?)\}", " ", block)
        pieces = [block] if MATRIX_ENV.search(block) else re.split(r"\\\\(?:\[[^\]]*\])?", block)
        for piece in pieces:
            text, tag = clean(piece)
            if text:
                out.append(Row(text, tag, part, text.startswith("=")))
    return out


# Inline math in running text: $...$ (not $$) or \(...\), within one line. Displayed math is cut out first.
DISPLAYED = re.compile(r"\$\$.+?\$\$|\\\[.+?\\\]", re.DOTALL)
# Neither form may hold its own opening mark, so each scan stops at the next one (linear in the text).
INLINE_MATH = re.compile(rf"(?<!\\)\$([^$\n]{{1,{MAX_INLINE}}})\$|\\\(((?:[^\\\n]|\\[^()\n]){{1,{MAX_INLINE}}}?)\\\)")


def inline_rows(body: str, part: str | None) -> list[Row]:
    """The inline formulas of a section that hold an '=', as rows (they never go on from another row)."""
    prose = DISPLAYED.sub("\n", body)
    out = []
    for m in INLINE_MATH.finditer(prose):
        text, tag = clean(m.group(1) or m.group(2))
        if "=" in text:
            out.append(Row(text, tag, part, False, inline=True))
    return out


def all_rows(turns: list[str], inline: bool = False) -> list[Row]:
    """Every displayed equation of the region, in order; a row that goes on with '=' is joined to the one before.

    With `inline`, each section's inline formulas with an '=' follow its displayed rows.
    """
    out: list[Row] = []
    last = None  # the index of the last displayed row, which a row starting with '=' goes on from
    for turn in turns:
        for label, body in sections(turn):
            for row in rows(body, label):
                if not row.continues:
                    out.append(row)
                    last = len(out) - 1
                elif last is not None and out[last].part == label:
                    out[last] = replace(out[last], text=f"{out[last].text} {row.text}", tag=row.tag or out[last].tag)
            if inline:
                out.extend(inline_rows(body, label))
    return out


def sides(text: str) -> list[str]:
    """The sides of an equation, cut at each '=' ('==' counts once)."""
    return [s.strip() for s in re.split(r"={1,2}", text)]


def read(text: str) -> matexpr.Node | None:
    """A side as matexpr reads it (W1, W2, X, I, numbers, traces), or None."""
    try:
        return matexpr.parse(matexpr.repair_escapes(text))
    except FormatError:
        return None


def readable(text: str) -> bool:
    """Whether matexpr reads a side."""
    return read(text) is not None


# ---------------------------------------------------------------- answers

def gradients(found_rows: list[Row]) -> dict:
    """{'grad_W1': (rhs, row text), 'grad_W2': ...} from rows whose left side is ∂L/∂W1 (∂L/∂W2)."""
    out: dict = {}
    for row in found_rows:
        if "\\lambda" in row.text or "λ" in row.text:
            continue  # a regularized loss has another gradient
        parts = sides(row.text)
        label = GRADIENT_LABEL.match(parts[0])
        if not label or len(parts) < 2:
            continue
        rhs = [p for p in parts[1:] if p and not _is_zero(p)]
        if not rhs:
            continue
        name = f"grad_W{next(g for g in label.groups() if g)}"
        best = rhs[-1]
        previous = out.get(name)
        # A readable answer is preferred to an unreadable later one (e.g. evaluated at U_k).
        if previous is None or readable(best) or not readable(previous[0]):
            out[name] = (best, row.text)
    return out


def conditions(found_rows: list[Row], grads: dict, turns: list[str]) -> tuple[list[str], str] | None:
    """The two first-order conditions as 'lhs = rhs' strings, and where they came from."""
    tagged: dict = {}
    for row in found_rows:
        m = CONDITION_TAG.search(row.tag or "")
        if m and len(sides(row.text)) == 2:
            tagged[int(m.group(1))] = _condition_text(row.text, grads)
    if tagged:
        keys = sorted(tagged)[:2]
        return [tagged[k] for k in keys], "the equations tagged " + " and ".join(f"(Condition {k})" for k in keys)
    # No tags: the first two readable equations after a mention of first-order conditions.
    joined = "\n".join(turns)
    mention = CONDITIONS_MENTION.search(joined)
    if mention is None:
        return None
    later = all_rows([joined[mention.start():]])[:MAX_CONDITION_ROWS]
    found = []
    for row in later:
        parts = sides(row.text)
        if len(parts) != 2 or (GRADIENT_LABEL.match(parts[0]) and not _is_zero(parts[1])):
            continue
        text = _condition_text(row.text, grads)
        trees = [read(side) for side in sides(text)]
        # A trace equation compares numbers; a first-order condition compares matrices.
        if None not in trees and not any(matexpr.has_trace(t) for t in trees):
            found.append(text)
        if len(found) == 2:
            break
    return (found, f"the equations after '{mention.group(0)}'") if found else None


def _is_zero(side: str) -> bool:
    return re.fullmatch(r"0|\\mathbf\{0\}|\\mathbf 0|\\boldsymbol\{0\}|O", side.strip()) is not None


def _condition_text(text: str, grads: dict) -> str:
    """'lhs = rhs'; a side ∂L/∂Wi stands for the gradient read above."""
    out = []
    for side in sides(text):
        m = GRADIENT_LABEL.match(side)
        name = f"grad_W{next(g for g in m.groups() if g)}" if m else None
        out.append(grads[name][0] if name in grads else side)
    return " = ".join(out)


def argument(turns: list[str]) -> tuple[str, int] | None:
    """The text of the last section headed part (ii), capped, and how many such sections there were."""
    found = [body for turn in turns for label, body in sections(turn) if label == "ii"]
    if not found:
        return None
    body = found[-1].strip()
    if len(body) > MAX_ARGUMENT_CHARS:
        body = body[:MAX_ARGUMENT_CHARS].rstrip() + " [...]"
    return body, len(found)


# ---------------------------------------------------------------- derivation chains

@dataclass(frozen=True)
class Chain:
    """A derivation chain: its sides as written, the part it is in, and which sides are checked ([first, end))."""

    sides: tuple
    part: str | None
    first: int
    end: int
    inline: bool = False


def chains(found_rows: list[Row]) -> list[Chain]:
    """The equations with at least two sides to compare, in order.

    A leading name (∂L/∂W1, L, LHS) is not compared, nor a trailing `= 0`
    (setting an expression to zero states a condition, not an identity); what
    is left must have two sides or more. A two-sided `A = B` is one only when
    it is a trace rewrite. Relations other than '=' and block matrices leave
    the equation out.
    """
    out = []
    for row in found_rows:
        parts = sides(row.text)
        if not 2 <= len(parts) <= MAX_SIDES or not all(parts):
            continue
        if NOT_A_CHAIN.search(row.text) or MATRIX_ENV.search(row.text):
            continue
        # Past the chains that are checked, the spelling alone decides (they are only counted),
        # so that a transcript of thousands of formulas is not parsed whole.
        if len(parts) == 2 and not trace_rewrite(parts, read_sides=len(out) < MAX_CHAINS):
            continue
        first = 1 if LABEL_SIDE.match(parts[0]) else 0
        end = len(parts)
        while end > first and _is_zero(parts[end - 1]):
            end -= 1
        if end - first >= 2:
            out.append(Chain(tuple(parts), row.part, first, end, row.inline))
    return out


def trace_rewrite(parts: list[str], read_sides: bool = True) -> bool:
    """Whether `A = B` has a trace on each side, both read: a rewrite of a number, stated as an identity.

    Such an equation, unlike a two-sided matrix equation (often a condition),
    is a derivation step. Unread sides leave it out: tr(AB) = tr(BA) for
    unnamed A, B states a rule, not a step. Without `read_sides`, a trace in
    the spelling of each side is enough.
    """
    if not all(TRACE_WORD.search(p) for p in parts):
        return False
    if not read_sides:
        return True
    trees = [read(p) for p in parts]
    return None not in trees and all(matexpr.has_trace(t) for t in trees)


@lru_cache(maxsize=None)
def pca_draws() -> tuple:
    """The fixed random points, with W2 = U_k (top-k eigenvectors of XXᵀ) and W1 = U_kᵀ."""
    out = []
    for d in draws():
        X, k = d.env["X"], d.sizes["k"]
        vals, vecs = np.linalg.eigh(X @ X.T)
        U = vecs[:, np.argsort(vals)[::-1][:k]]
        out.append(Draw(d.sizes, {**d.env, "W1": U.T.copy(), "W2": U}))
    return tuple(out)


def _with_pca(side: str, eigen: list) -> str:
    """A side with U_k written as W2 (checked where W2 = U_k, W1 = U_kᵀ) and the eigenvalue matrices spelled out."""
    for family in eigen:
        side = re.sub(family + r"(?![A-Za-z0-9_^])", lambda _: r"(W_2^\top X X^\top W_2)", side)
    return U_K.sub(lambda _: "W_2", side)


def check_chain(chain: Chain, context: dict) -> tuple[str, object]:
    """('ok', None), ('broken', (step, why)), ('unreadable', (side, why)) or ('unchecked', reason).

    In part (ii), once the chat has set W1 = U_kᵀ and W2 = U_k, a chain in W1,
    W2 alone that fails at random matrices is tried again at the principal
    components: there it may hold by that substitution.
    """
    verdict = _check(chain, context, pca=False)
    if verdict[0] == "broken" and chain.part == "ii" and context["substitution"]:
        again = _check(chain, context, pca=True)
        if again[0] == "ok":
            return again
    return verdict


def _check(chain: Chain, context: dict, pca: bool) -> tuple[str, object]:
    first = chain.first
    checked = list(chain.sides[first:chain.end])
    points = pca_draws() if pca else None
    if any(U_K.search(s) for s in checked):
        mixed = any(HAS_W.search(s) for s in checked)
        if mixed and not context["substitution"]:
            return "unchecked", "it mixes U_k with W1, W2 without the substitution W1 = U_kᵀ, W2 = U_k"
        checked = [_with_pca(s, context["eigen"]) for s in checked]
        points = pca_draws()
    trees = [read(s) for s in checked]
    if None in trees:
        return "unchecked", "a side uses symbols other than W1, W2, X, I, U_k (or tr, ‖·‖_F² of them)"
    try:
        previous = matexpr.typecheck(trees[0], checked[0])
        previous_values = values(previous, points)
    except FormatError as e:
        if "cannot be told" in e.message or "too large" in e.message:
            return "unchecked", "its first side cannot be evaluated on its own"
        return "unreadable", (first, e.message.splitlines()[0])
    for i, tree in enumerate(trees[1:], start=1):
        try:
            current = matexpr.typecheck(tree, checked[i], previous.shape)
            current_values = values(current, points)
        except FormatError as e:
            return "broken", (first + i, f"its right side cannot be evaluated: {e.message.splitlines()[0]}")
        if current.shape != previous.shape:
            return "broken", (first + i, f"its left side is {matexpr.show_shape(previous.shape)}, "
                                         f"its right side {matexpr.show_shape(current.shape)}")
        if not _close(previous_values, current_values):
            where = "random X, with W1 = U_kᵀ and W2 = U_k its top-k eigenvectors" if points is not None else "random W1, W2, X"
            return "broken", (first + i, f"the two sides differ at {where}")
        previous, previous_values = current, current_values
    return "ok", None


def _close(a_vals: list, b_vals: list) -> bool:
    """Equal at every point, relative to the larger side (U_k is computed, so allow rounding)."""
    return all(np.shape(a) == np.shape(b) and np.linalg.norm(np.asarray(a) - np.asarray(b)) <= 1e-8 * max(
        np.linalg.norm(a), np.linalg.norm(b), 1e-12) for a, b in zip(a_vals, b_vals))


def chain_notes(found_rows: list[Row], joined: str) -> list[str]:
    """A note per broken chain, and one counting the chains checked."""
    flat = re.sub(r"\s+", " ", joined)
    defined = {f for m in EIGEN_EQUATION.finditer(flat) for f in EIGEN_FAMILIES if re.fullmatch(f, m.group(1))}
    context = {"substitution": bool(PCA_SUBSTITUTION_W1.search(flat) and PCA_SUBSTITUTION_W2.search(flat)),
               "eigen": [f for f in EIGEN_FAMILIES if f in defined]}
    notes, ok, unchecked = [], 0, 0
    found = chains(found_rows)
    for chain in found[:MAX_CHAINS]:
        verdict, detail = check_chain(chain, context)
        where = f"part ({chain.part})" if chain.part else "the answer"
        if verdict == "ok":
            ok += 1
        elif verdict == "unchecked":
            # An inline formula that cannot be read is mostly prose notation (k = m = 5, a list
            # "W1 = U_kᵀ, W2 = U_k"), not a derivation: it is left out rather than counted.
            unchecked += not chain.inline
        elif verdict == "unreadable":
            step, why = detail
            notes.append(f"derivation in {where}: `{_short(chain.sides[step])}` cannot be evaluated: {why}")
        else:
            step, why = detail
            notes.append(f"derivation in {where}: step {step} does not hold: "
                         f"`{_short(chain.sides[step - 1])}` = `{_short(chain.sides[step])}` ({why})")
    broken = len(notes)
    checked = ok + broken
    if checked + unchecked == 0:
        return notes
    summary = f"{checked} derivation chain{'s' if checked != 1 else ''} checked step by step"
    summary += f", {broken} with a step that does not hold" if broken else (", every step holds" if checked else "")
    if unchecked:
        summary += (f"; {unchecked} not checked (only W1, W2, X, I, U_k, an eigenvalue matrix defined by "
                    "XXᵀU_k = U_k(·), and traces and ‖·‖_F² of these are read, and U_k only where "
                    "W1 = U_kᵀ, W2 = U_k is set or no W appears)")
    if len(found) > MAX_CHAINS:
        summary += f"; the {len(found) - MAX_CHAINS} after the first {MAX_CHAINS} were not looked at"
    return [*notes, summary]


def _short(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= MAX_NOTE_SIDE else text[:MAX_NOTE_SIDE] + " ..."


# ---------------------------------------------------------------- the extractor

def extract(text: str) -> dict:
    """Answer name -> plain value for what the transcript answers, plus "_notes"."""
    turns = scope(text)
    if not turns:
        return {"_notes": ["no PCA / linear-autoencoder answers found (looked for the assistant's text about PCA)"]}
    every_row = all_rows(turns, inline=True)
    found_rows = [r for r in every_row if not r.inline]  # answers come from displayed math only
    found: dict = {}
    notes: list[str] = []
    grads = gradients(found_rows)
    for name in ("grad_W1", "grad_W2"):
        if name in grads:
            found[name] = grads[name][0]
            notes.append(f"{name} read from: {_short(grads[name][1])}")
    conds = conditions(found_rows, grads, turns)
    if conds is not None:
        found["first_order_conditions"] = conds[0]
        notes.append(f"first_order_conditions read from {conds[1]}")
    arg = argument(turns)
    if arg is not None:
        found["pca_argument"] = arg[0]
        if arg[1] > 1:
            notes.append(f"pca_argument is the last of {arg[1]} answers to part (ii) "
                         "(a later answer revises an earlier one)")
    if not found:
        notes.append("no PCA / linear-autoencoder answers found (no ∂L/∂W equation, conditions or part (ii))")
    # Derivations are also looked for in inline formulas ("For the second term: $tr(..) = tr(..)$").
    notes += chain_notes(every_row, "\n".join(turns))
    found["_notes"] = notes
    return found
