"""Reading the pca_autoencoder answers out of this problem's region of a chat (text parsing only; nothing is run).

Every formula of the region is read into rows: each row of a displayed
block (a row of an aligned block, or a row starting with `=` that goes on
from the one before), and each inline formula, cut into statements at
commas and `\\quad` between equations, each statement cut into sides at its
`=` signs, with where each side was written. From the displayed rows:

- `grad_W1`, `grad_W2`: each row whose left side is ∂L/∂W1 (∂L/∂W2) gives
  its last right-hand side (a final `= 0` is passed over: it states a
  condition). A row the grammar cannot read is used only when none can.
- `first_order_conditions`: in each reply, the rows tagged "Condition 1"
  and "Condition 2", or else the first two readable one-equation rows after
  a line about first-order (optimality) conditions; a row `∂L/∂W1 = 0`
  stands for the gradient found above set to zero.
- `pca_argument`: each section headed part (ii), capped in length.
- `pca_weights` is code, which a transcript cannot answer.

A later reply that answers again revises the answer (the engine grades the
last). Every row, displayed or inline, goes to the derivation checks
(`derivations.py`) as plain data, with a place for each of its steps, which
the checks mark holds, fails or could not be read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from grader.errors import FormatError
from grader.transcripts import markdown as md
from grader.transcripts.regions import Extraction, Found, Place, Region, Segment, sections
from problems.pca_autoencoder import matexpr

PROBLEM = "pca_autoencoder"
EQUATIONS = "pca_autoencoder:equations"  # the data name the derivation checks read
LABELS = ("b", "i", "ii", "iii")
MAX_ARGUMENT_CHARS = 4000
MAX_EQUATIONS = 300  # rows given to the derivation checks per chat
MAX_SIDES = 24  # a statement with more sides is not taken for a derivation
MAX_CONDITION_ROWS = 40  # rows after the mention of first-order conditions where they are looked for
TAIL = 200  # characters at the end of a row where a tag is looked for

# ∂L/∂W_1 in the usual spellings: \frac{\partial \mathcal{L}}{\partial W_1}, \nabla_{W_1} L, dL/dW1.
_W = r"(?:\\mathbf\{W\}|\\boldsymbol\{W\}|\\bm\{W\}|W)\s*_?\s*\{?\s*([12])\s*\}?"
_L = r"(?:\\mathcal\{L\}|\\mathcal L|\\ell|L|J|\\mathcal\{J\}|f)"
GRADIENT_LABEL = re.compile(
    r"^\s*(?:\\[dt]?frac\s*\{\s*(?:\\partial|\\mathrm\{d\}|d|∂)\s*" + _L
    + r"\s*\}\s*\{\s*(?:\\partial|\\mathrm\{d\}|d|∂)\s*" + _W + r"\s*\}"
    r"|\\nabla\s*_\s*\{?\s*" + _W + r"\s*\}?\s*" + _L +
    r"|(?:∂|d)\s*" + _L + r"\s*/\s*(?:∂|d)\s*" + _W + r")\s*(?:\([^()=]*\))?\s*$")
# The condition tag: "(\text{Condition 1})", "\tag{Condition 2}", "\text{(FOC 1)}".
TAG = re.compile(r"(?:\\q?quad|\\[,;: ]|\s)*(?:\\tag\*?\{([^{}]*)\}|\(\s*\\text\{([^{}]*)\}\s*\)|"
                 r"\\q?quad\s*\\text\{\s*\(?([^{}]*?)\)?\s*\})\s*[.,;]?\s*$")
CONDITION_TAG = re.compile(r"(?:condition|FOC|optimality)\s*(\d)", re.IGNORECASE)
CONDITIONS_MENTION = re.compile(r"first[- ]order|optimality conditions?|stationary|critical point|"
                                r"set(?:ting)?\s+(?:the\s+|both\s+)?(?:gradients?|derivatives?)\s+"
                                r"(?:to|equal to)\s+zero", re.IGNORECASE)
LAYOUT_ENV = re.compile(r"\\(?:begin|end)\{(?:aligned|align\*?|alignedat|gathered|gather\*?|split|equation\*?|"
                        r"multline\*?)\}")
MATRIX_BEGIN = re.compile(r"\\begin\{(?:[pbvBV]?matrix|smallmatrix|array|cases)\}")
MATRIX_END = re.compile(r"\\end\{(?:[pbvBV]?matrix|smallmatrix|array|cases)\}")
MARKS = re.compile(r"\\checkmark|✓|✔|\\;|\\!")
# Between two equations of one row: ", \quad", "\qquad", "\text{and}".
SEPARATOR = re.compile(r",\s*(?:\\q?quad\b)?|;\s*|\\q?quad\b|\\text\{\s*(?:and|,)\s*\}")
RELATION = re.compile(r":=|=:|==|(?<![<>!\\])=")


@dataclass(frozen=True)
class Side:
    """One side of an equation as written (layout removed) and where it is in its turn."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Row:
    """One equation: its sides, its tag, the part it is in, and whether it is inline or defines (:=) a name."""

    sides: tuple[Side, ...]
    tag: str | None
    part: str | None
    turn: int
    number: int = 0  # the turn as a reader counts them
    inline: bool = False
    defines: bool = False  # written `name := ...`

    @property
    def text(self) -> str:
        """The equation, sides joined by ' = '."""
        return " = ".join(s.text for s in self.sides)


# ---------------------------------------------------------------- reading formulas with their places

def _depths(text: str) -> list[int]:
    """The bracket depth at each character ({}, (), [] and matrix environments count)."""
    out, depth, i = [], 0, 0
    while i < len(text):
        m = MATRIX_BEGIN.match(text, i) if text[i] == "\\" else None
        e = MATRIX_END.match(text, i) if text[i] == "\\" and m is None else None
        if m or e:
            if e:
                depth = max(0, depth - 1)
            out.extend([depth] * (len((m or e).group(0))))
            if m:
                depth += 1
            i += len((m or e).group(0))
            continue
        ch = text[i]
        if ch in "{([" and (i == 0 or text[i - 1] != "\\" or ch == "{"):
            out.append(depth)
            depth += 1
        elif ch in "})]":
            depth = max(0, depth - 1)
            out.append(depth)
        else:
            out.append(depth)
        i += 1
    return out


def _blank(text: str, spans) -> str:
    """`text` with each (start, end) span replaced by spaces (so that offsets stay those of the original)."""
    chars = list(text)
    for a, b in spans:
        for i in range(max(0, a), min(len(chars), b)):
            if chars[i] != "\n":
                chars[i] = " "
    return "".join(chars)


def _boxes(text: str) -> list[tuple[int, int]]:
    """The spans of `\\boxed{` and of its closing brace, for each box (its content stays)."""
    out, i = [], 0
    while (j := text.find("\\boxed{", i)) >= 0:
        depth, k = 0, j + len("\\boxed")
        while k < len(text):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            if depth == 0:
                break
            k += 1
        if depth:
            break
        out += [(j, j + len("\\boxed{")), (k, k + 1)]
        i = k + 1
    return out


def _layout(text: str) -> str:
    """The formula with layout blanked out: boxes, check marks, alignment '&' outside matrices, layout environments."""
    spans = _boxes(text) + [m.span() for m in MARKS.finditer(text)] + [m.span() for m in LAYOUT_ENV.finditer(text)]
    depths = _depths(text)
    spans += [(i, i + 1) for i, ch in enumerate(text) if ch == "&" and depths[i] == 0]
    return _blank(text, spans)


def _statements(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The equations of one row (text[start:end]), cut at top-level separators between two equations."""
    depths = _depths(text[start:end])
    cuts = [m for m in SEPARATOR.finditer(text, start, end) if depths[m.start() - start] == 0]
    out, begin = [], start
    for m in cuts:
        before, after = text[begin:m.start()], text[m.end():end]
        if "=" in before and "=" in after:
            out.append((begin, m.start()))
            begin = m.end()
    out.append((begin, end))
    return out


def _sides(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sides of one equation text[start:end], cut at top-level '=' (':=' and '==' count once)."""
    depths = _depths(text[start:end])
    at = [m for m in RELATION.finditer(text, start, end) if depths[m.start() - start] == 0]
    bounds, pos = [], start
    for m in at:
        bounds.append((pos, m.start()))
        pos = m.end()
    bounds.append((pos, end))
    return bounds


def _side(text: str, a: int, b: int, turn_offset: int) -> Side:
    """A side: its text stripped of spacing and trailing punctuation, and its span in the turn."""
    raw = text[a:b]
    lead = len(raw) - len(raw.lstrip())
    body = raw.strip()
    body = re.sub(r"(?:\\q?quad|\\[,: ])+\s*$", "", body).rstrip(".,;").strip()
    return Side(body, turn_offset + a + lead, turn_offset + a + lead + len(body))


def formula_rows(segment: Segment, piece: md.Piece, part: str | None, inline: bool) -> list[Row]:
    """The equations of one formula (a displayed block or an inline formula) with their places."""
    text = _layout(piece.text)
    offset = segment.start + piece.start
    depths = _depths(text)
    breaks = [m.span() for m in re.finditer(r"\\\\(?:\[[^\]]*\])?", text) if depths[m.start()] == 0]
    bounds = [(0, len(text))] if inline else list(zip([0] + [e for _, e in breaks], [s for s, _ in breaks] + [len(text)]))
    out = []
    for a, b in bounds:
        # The tag is looked for in the row's end only, which keeps this linear.
        tail_at = max(a, b - TAIL)
        tag, m = None, TAG.search(text, tail_at, b)
        if m and "=" in text[a:m.start()]:
            tag = (m.group(1) or m.group(2) or m.group(3) or "").strip()
            b = m.start()
        for s, e in _statements(text, a, b):
            bounds = _sides(text, s, e)
            if len(bounds) < 2 or len(bounds) > MAX_SIDES:
                continue
            defines = ":=" in text[s:e]
            sides = tuple(_side(text, x, y, offset) for x, y in bounds)
            out.append(Row(sides, tag, part, segment.turn, segment.number, inline, defines))
    return out


def rows(region: Region) -> list[Row]:
    """Every equation of the region in chat order; a displayed row going on with '=' is joined to the displayed
    row before it in the same part."""
    out: list[Row] = []
    for segment in region.segments:
        for label, section in sections(segment, LABELS):
            found: list[Row] = []
            for piece in md.math_blocks(section.text):
                for row in formula_rows(section, piece, label, inline=False):
                    if row.sides[0].text == "" and found:
                        prev = found[-1]
                        found[-1] = Row(prev.sides + row.sides[1:], row.tag or prev.tag, prev.part, prev.turn,
                                        prev.number, False, prev.defines)
                    elif row.sides[0].text:
                        found.append(row)
            for piece in md.inline_math(section.text):
                found.extend(formula_rows(section, piece, label, inline=True))
            out.extend(sorted(found, key=lambda r: r.sides[0].start))
    return out


def read(text: str) -> matexpr.Node | None:
    """A side as matexpr reads it (W1, W2, X, I, numbers, traces), or None."""
    try:
        return matexpr.parse(matexpr.repair_escapes(text))
    except FormatError:
        return None


# ---------------------------------------------------------------- answers

def _is_zero(side: str) -> bool:
    return re.fullmatch(r"0|\\mathbf\{0\}|\\mathbf 0|\\boldsymbol\{0\}|O", side.strip()) is not None


def gradients(found_rows: list[Row]) -> list[Found]:
    """Every ∂L/∂W1 (∂L/∂W2) row's right side, as a Found; unreadable ones only for a name with no readable one."""
    out = []
    for row in found_rows:
        if "\\lambda" in row.text or "λ" in row.text:
            continue  # a regularized loss has another gradient
        label = GRADIENT_LABEL.match(row.sides[0].text)
        rhs = [s for s in row.sides[1:] if s.text and not _is_zero(s.text)]
        if not label or not rhs:
            continue
        name = f"grad_W{next(g for g in label.groups() if g)}"
        side = rhs[-1]
        out.append((Found(name, side.text, row.turn, side.start, side.end, "the ∂L/∂W row"), read(side.text) is not None))
    readable = {f.name for f, ok in out if ok}
    return [f for f, ok in out if ok or f.name not in readable]


def _condition_text(row: Row, grads: dict) -> str:
    """'lhs = rhs'; a side ∂L/∂Wi stands for the gradient read above it."""
    out = []
    for side in row.sides:
        m = GRADIENT_LABEL.match(side.text)
        name = f"grad_W{next(g for g in m.groups() if g)}" if m else None
        out.append(grads[name] if name in grads else side.text)
    return " = ".join(out)


def _condition_found(chosen: list[Row], grads: dict, how: str) -> Found:
    first, last = chosen[0], chosen[-1]
    end = last.sides[-1].end if last.turn == first.turn else first.sides[-1].end
    return Found("first_order_conditions", [_condition_text(r, grads) for r in chosen], first.turn,
                 first.sides[0].start, end, how)


def conditions(segment_rows: list[list[Row]], segments: list[Segment], all_grads: list[Found]) -> list[Found]:
    """In each reply, the two first-order conditions as 'lhs = rhs' strings (tagged rows, else after a mention)."""
    out, tagged = [], {}
    for seg_rows, segment in zip(segment_rows, segments):
        grads = {f.name: f.value for f in all_grads if (f.turn, f.start) <= (segment.turn, segment.end)}
        mine = {}
        for row in seg_rows:
            m = CONDITION_TAG.search(row.tag or "")
            if m and len(row.sides) == 2:
                mine[int(m.group(1))] = row
        if mine:
            tagged.update(mine)
            keys = sorted(tagged)[:2]
            if len(keys) == 2:
                chosen = [tagged[k] for k in keys]
                out.append(_condition_found(chosen, grads, "the equations tagged " +
                                            " and ".join(f"(Condition {k})" for k in keys)))
            continue
        mention = CONDITIONS_MENTION.search(segment.text)
        if mention is None:
            continue
        at = segment.start + mention.start()
        later = [r for r in seg_rows if r.sides[0].start >= at][:MAX_CONDITION_ROWS]
        found = []
        for row in later:
            if len(row.sides) != 2 or (GRADIENT_LABEL.match(row.sides[0].text) and not _is_zero(row.sides[1].text)):
                continue
            trees = [read(side) for side in _condition_text(row, grads).split(" = ")]
            # A trace equation compares numbers; a first-order condition compares matrices.
            if len(trees) == 2 and None not in trees and not any(matexpr.has_trace(t) for t in trees):
                found.append(row)
            if len(found) == 2:
                break
        if found:
            out.append(_condition_found(found, grads, f"the equations after '{mention.group(0)}'"))
    return out


def arguments(region: Region) -> list[Found]:
    """Each section headed part (ii), capped in length."""
    out = []
    for segment in region.segments:
        for label, section in sections(segment, LABELS):
            if label != "ii":
                continue
            body = section.text.strip()
            lead = len(section.text) - len(section.text.lstrip())
            end = lead + min(len(body), MAX_ARGUMENT_CHARS)
            if len(body) > MAX_ARGUMENT_CHARS:
                body = body[:MAX_ARGUMENT_CHARS].rstrip() + " [...]"
            out.append(Found.at("pca_argument", body, section, lead, end, "the section headed part (ii)"))
    return out


# ---------------------------------------------------------------- the extractor

def equations(found_rows: list[Row]) -> tuple[list[dict], list[Place]]:
    """The rows as plain data for the derivation checks, and a place for each step (its right side)."""
    data, places = [], []
    for n, row in enumerate(found_rows[:MAX_EQUATIONS]):
        key = f"{PROBLEM}:eq{n}"
        data.append({"key": key, "turn": row.turn, "number": row.number, "part": row.part or "", "inline": row.inline,
                     "defines": row.defines, "sides": [s.text for s in row.sides]})
        places += [Place(f"{key}:{i}", row.turn, side.start, side.end, "derivations")
                   for i, side in enumerate(row.sides) if i > 0 and side.end > side.start]
    return data, places


def extract(region: Region) -> Extraction:
    """Every PCA answer of the region, the equations for the derivation checks, and their places."""
    per_segment = [rows(Region(region.problem, (s,))) for s in region.segments]
    every = [r for seg in per_segment for r in seg]
    displayed = [[r for r in seg if not r.inline] for seg in per_segment]
    grads = gradients([r for seg in displayed for r in seg])
    found = grads + conditions(displayed, list(region.segments), grads) + arguments(region)
    data, places = equations(every)
    notes = ()
    if len(every) > MAX_EQUATIONS:
        notes = (f"the derivation checks read the first {MAX_EQUATIONS} of the chat's {len(every)} equations",)
    return Extraction(found=tuple(found), data=((EQUATIONS, data),), places=tuple(places), notes=notes)
