"""The similarity report: which pairs of students handed in the same code, the same free response or the same wrong answer.

Code is compared as MOSS compares it: the students' answers.py (or notebook cells) become token streams with their
own names and all literals normalized (renamed variables still match), comments and docstrings dropped; every
k-gram of tokens is hashed and winnowing keeps the minimum of each window of w hashes as a fingerprint, so any shared
passage of at least k + w - 1 tokens is found wherever it sits (reordered functions still match). Free responses go
the same way over word k-grams (case, punctuation and common words dropped, endings trimmed). Fingerprints of the
template (and of the problem statements, for free responses) are removed, and so are those that more than a set
share of the class has: what everyone writes is evidence of nothing.

Answers to value parts (`grad_W1 = "..."`) are not code: they are compared whole, and only wrong ones count. The
same wrong answer in two submissions, held by few students, is reported; the same right answer never is.

Pairs come from an inverted index from fingerprint to submissions, never from comparing all pairs, so the cost grows
with the number of submissions times the length of each (bench/bench_similarity.py). Student code is only read as
text here: it is tokenized, never imported or run.
"""
from __future__ import annotations

import bisect
import builtins
import io
import keyword
import math
import re
import tempfile
import tokenize
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import jinja2
import numpy as np

from grader.errors import SubmissionError
from grader.load import load
from grader.model import FORMAT, PARTIAL, WRONG, Report, Status
from grader.outdir import STAFF

PAGE = Path(STAFF) / "similarity.html"  # under the --out folder: staff only, never in a student's folder
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[2] / "submissions" / "template" / "answers.py"
WRONG_STATUSES = (WRONG, PARTIAL, FORMAT)
KEEP = frozenset(keyword.kwlist) | frozenset(dir(builtins))
_WORD = re.compile(r"[^\W_]+")
_FALLBACK = re.compile(r"""(?P<s>[rbuf]{0,2}(?:'''.*?'''|\"\"\".*?\"\"\"|'[^'\n]*'|"[^"\n]*"))|(?P<n>\d[\w.]*)|"""
                       r"""(?P<w>[^\W\d]\w*)|(?P<c>\#[^\n]*)|(?P<o>\*\*|//|->|[-+*/%@&|^<>=!]=|\S)""", re.S)
_SUFFIXES = ("ing", "ed", "es", "ly", "s")
STOP_WORDS = frozenset("""a about above after again all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other
our out over own same she should so some such than that the their them then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your""".split())


@dataclass(frozen=True)
class Settings:
    """The knobs of the comparison; the defaults are what the report uses."""

    code_k: int = 12  # tokens per k-gram of code
    code_w: int = 8  # winnowing window: a shared run of code_k + code_w - 1 tokens is always found
    text_k: int = 3  # words per k-gram of a free response (after common words are dropped)
    text_w: int = 2
    code_threshold: float = 0.5  # share of fingerprints (of the smaller side) from which a pair is reported
    text_threshold: float = 0.4  # light rewording breaks many word k-grams: a lower bar than for code
    min_shared: int = 3  # fingerprints two documents must share before their score counts at all
    common_share: float = 0.1  # a fingerprint held by more than this share of the class is common knowledge ...
    common_min: int = 10  # ... or by more than this many submissions, whichever is more
    proposing: int = 16  # only fingerprints held by at most this many submissions propose pairs (keeps cost linear)
    rare_share: float = 0.02  # a wrong answer counts while at most this share of the class gave it ...
    rare_min: int = 3  # ... or at most this many, whichever is more
    min_answer_chars: int = 6  # shorter wrong answers (a number, "no") coincide too easily to mean anything
    max_pairs: int = 300  # pairs shown on the page (the rest are counted)
    max_passages: int = 12  # matched passages shown per document pair

    def common_limit(self, n: int) -> int:
        """How many submissions may share a fingerprint before it is ignored."""
        return max(self.common_min, math.ceil(self.common_share * n))

    def rare_limit(self, n: int) -> int:
        """How many submissions may give one wrong answer for it still to count."""
        return max(self.rare_min, math.ceil(self.rare_share * n))


@dataclass(frozen=True)
class Source:
    """What one student handed in, as text: code cells, free responses, and the kind and status of each part."""

    student: str
    code: tuple[tuple[str, str], ...] = ()  # (label, source)
    responses: tuple[tuple[str, str], ...] = ()  # ('problem.part', text)
    parts: tuple[tuple[str, str, str, Status], ...] = ()  # (answer name, 'problem.part', kind, status)


@dataclass(frozen=True)
class Document:
    """A text as normalized tokens, each with its (start, end) character span in `text`."""

    text: str
    tokens: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    answers: tuple[tuple[str, str, str], ...] = ()  # (name, as written, normalized) of top-level value answers


@dataclass(frozen=True)
class Side:
    """One side of a matched passage: the lines shown, as (text, highlighted) segments, and where they are."""

    first_line: int
    last_line: int
    segments: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Match:
    """Two documents of a pair compared: code, or one free-response part."""

    what: str  # "code" or 'problem.part'
    score: float  # shared fingerprints over the smaller side's
    shared: int
    covered: tuple[float, float] = (0.0, 0.0)  # share of each side's tokens inside a matched passage
    passages: tuple[tuple[Side, Side], ...] = ()

    def flagged(self, settings: Settings) -> bool:
        """Whether this match alone puts the pair on the page."""
        limit = settings.code_threshold if self.what == "code" else settings.text_threshold
        return self.shared >= settings.min_shared and self.score >= limit


@dataclass(frozen=True)
class SharedAnswer:
    """The same wrong answer in both submissions of a pair."""

    key: str  # problem.part
    text: str  # as the first of the pair wrote it
    status: Status
    holders: int  # submissions that gave it


@dataclass(frozen=True)
class Pair:
    """Two students whose work is alike, and the evidence."""

    a: str
    b: str
    matches: tuple[Match, ...]
    answers: tuple[SharedAnswer, ...] = ()

    @property
    def score(self) -> float:
        """The highest similarity of the pair's documents (0 to 1)."""
        return max((m.score for m in self.matches), default=0.0)


@dataclass(frozen=True)
class Similarity:
    """The whole report: the pairs above the thresholds, highest first."""

    pairs: tuple[Pair, ...]
    submissions: int
    settings: Settings = field(default_factory=Settings)
    not_compared: tuple[tuple[str, str], ...] = ()  # (student, why)
    more: int = 0  # pairs above the thresholds that the page leaves out


# --- tokens ---------------------------------------------------------------------------------------------------


def _line_starts(text: str) -> list[int]:
    """Where each line of `text` starts, lines ending at "\n" only (as tokenize reads them)."""
    return [0] + [m.end() for m in re.finditer("\n", text)]


def _raw_tokens(source: str) -> list[tuple[int, str, int, int]]:
    """(type, string, start, end) of each token of `source`; where tokenize gives up, a plain lexer goes on."""
    starts = _line_starts(source)
    out: list[tuple[int, str, int, int]] = []
    resume = 0
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            start = starts[tok.start[0] - 1] + tok.start[1] if tok.start[0] - 1 < len(starts) else len(source)
            end = starts[tok.end[0] - 1] + tok.end[1] if tok.end[0] - 1 < len(starts) else len(source)
            out.append((tok.type, tok.string, start, end))
            resume = end
    except (tokenize.TokenError, IndentationError, SyntaxError):
        # Code that does not tokenize (an unclosed bracket, bad indentation) is still text to compare:
        # a plain lexer takes over where tokenize stopped, one logical line per physical line.
        last = resume
        for m in _FALLBACK.finditer(source, resume):
            if "\n" in source[last:m.start()]:
                out.append((tokenize.NEWLINE, "\n", last, last))
            kind = {"s": tokenize.STRING, "n": tokenize.NUMBER, "w": tokenize.NAME, "c": tokenize.COMMENT}
            out.append((kind.get(m.lastgroup, tokenize.OP), m.group(), m.start(), m.end()))
            last = m.end()
    return out


_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER, tokenize.ERRORTOKEN}
_STRINGISH = {tokenize.STRING} | {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                                  if hasattr(tokenize, n)}


def _logical_lines(raw: list) -> list[tuple[int, list]]:
    """The tokens of each logical line, with the block depth it starts at."""
    lines, current, depth, line_depth = [], [], 0, 0
    for tok in raw:
        ttype = tok[0]
        if ttype == tokenize.INDENT:
            depth += 1
            continue
        if ttype == tokenize.DEDENT:
            depth -= 1
            continue
        if ttype in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if current:
                lines.append((line_depth, current))
            current = []
            continue
        if ttype in (tokenize.NL, tokenize.COMMENT, tokenize.ENCODING):
            continue
        if not current:
            line_depth = depth
        current.append(tok)
    if current:
        lines.append((line_depth, current))
    return lines


def code_document(cells: tuple[tuple[str, str], ...], names: frozenset[str] = frozenset(),
                  values: frozenset[str] = frozenset()) -> Document:
    """The code of a submission as normalized tokens.

    A top-level assignment to an answer name in `names` (the parts' names) is left out: a value answer in `values`
    is kept aside in `answers` (compared whole), a free response is compared as text elsewhere.
    """
    pieces, tokens, spans, answers = [], [], [], []
    offset = 0
    for label, source in cells:
        if len(cells) > 1:
            header = f"# --- {label}\n"
            pieces.append(header)
            offset += len(header)
        for depth, line in _logical_lines(_raw_tokens(source)):
            first = line[0]
            if (depth == 0 and first[0] == tokenize.NAME and first[1] in names and len(line) > 2
                    and line[1][1] == "="):
                if first[1] in values:
                    written = source[line[2][2]:line[-1][3]]
                    answers.append((first[1], written, _answer_key(line[2:])))
                continue
            if all(t[0] in _STRINGISH for t in line):
                continue  # a docstring or a bare string: prose, not code
            previous = ""
            for i, (ttype, text, start, end) in enumerate(line):
                if ttype in _SKIP:
                    continue
                if ttype == tokenize.NAME:
                    attribute = previous == "." and not (i >= 2 and line[i - 2][1] == "self")
                    norm = text if (text in KEEP or text in names or attribute) else "V"
                elif ttype == tokenize.NUMBER:
                    norm = "N"
                elif ttype in _STRINGISH:
                    norm = "S"
                else:
                    norm = text
                tokens.append(norm)
                spans.append((offset + start, offset + end))
                previous = text
        pieces.append(source if source.endswith("\n") else source + "\n")
        offset += len(pieces[-1])
    return Document("".join(pieces), tuple(tokens), tuple(spans), tuple(answers))


def _answer_key(tokens: list) -> str:
    """A value answer compared whole: its tokens without spacing, strings without their quotes or inner spaces."""
    out = []
    for ttype, text, _, _ in tokens:
        if ttype in _STRINGISH:
            body = re.sub(r"^[rRbBuUfF]*('''|\"\"\"|'|\")|('''|\"\"\"|'|\")$", "", text)
            out.append('"' + re.sub(r"\s+", "", body) + '"')
        elif ttype not in _SKIP:
            out.append(text)
    return "".join(out)


def _stem(word: str) -> str:
    """`word` without a common ending, so that "learned" meets "learning" (crude, but the same for everyone)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= (3 if suffix == "s" else 4):
            return word[: -len(suffix)]
    return word


def text_document(text: str) -> Document:
    """A free response as words: lower case, common words dropped, endings trimmed."""
    tokens, spans = [], []
    for m in _WORD.finditer(text):
        word = m.group().lower()
        if word in STOP_WORDS:
            continue
        tokens.append(_stem(word))
        spans.append(m.span())
    return Document(text, tuple(tokens), tuple(spans))


# --- fingerprints ---------------------------------------------------------------------------------------------

_BASE = np.uint64(1_000_003)


def kgram_hashes(tokens: tuple[str, ...], k: int, ids: dict[str, int]) -> np.ndarray:
    """The hash of every k-gram of `tokens`, in order (a polynomial over 32-bit token ids, wrapping at 2**64)."""
    n = len(tokens) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.uint64)
    seq = np.fromiter((ids[t] if t in ids else ids.setdefault(t, zlib.crc32(t.encode())) for t in tokens),
                      dtype=np.uint64, count=len(tokens))
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + seq[j:j + n]
    return h


def winnow(hashes: np.ndarray, w: int) -> set[int]:
    """The fingerprints: the minimum hash of every window of `w` consecutive k-gram hashes (rightmost on ties)."""
    if len(hashes) == 0:
        return set()
    if len(hashes) <= w:
        return {int(hashes.min())}
    windows = np.lib.stride_tricks.sliding_window_view(hashes, w)
    pick = np.arange(len(windows)) + (w - 1 - windows[:, ::-1].argmin(axis=1))
    return set(hashes[np.unique(pick)].tolist())


@dataclass
class _Index:
    """Fingerprints of one kind of document across the class, and the pairs that share them."""

    k: int
    w: int
    docs: dict[int, Document] = field(default_factory=dict)  # source index -> document
    prints: dict[int, set[int]] = field(default_factory=dict)
    given: set[int] = field(default_factory=set)  # the template's or the statement's k-grams
    excluded: set[int] = field(default_factory=set)  # those, and the common ones once `pairs` has run
    grams: dict[int, np.ndarray] = field(default_factory=dict)  # each document's distinct k-gram hashes

    def add(self, who: int, doc: Document, ids: dict[str, int]) -> None:
        """Index one document."""
        hashes = kgram_hashes(doc.tokens, self.k, ids)
        fps = winnow(hashes, self.w)
        if fps:
            self.docs[who], self.prints[who] = doc, fps
            self.grams[who] = np.unique(hashes)

    def exclude(self, doc: Document, ids: dict[str, int]) -> None:
        """Leave out every k-gram of `doc` (the template): all of them, not only its fingerprints."""
        self.given |= set(kgram_hashes(doc.tokens, self.k, ids).tolist())
        self.excluded |= self.given

    def pairs(self, limit: int, proposing: int, min_shared: int) -> dict[tuple[int, int], tuple[float, int]]:
        """{(i, j): (score, shared fingerprints)} for i < j: the pairs worth a look.

        Fingerprints held by more than `limit` submissions are common knowledge and count for no one. Pairs are
        proposed by the rarer fingerprints (held by at most `proposing`), so the work is at most `proposing`
        squared per fingerprint, never all pairs; a pair proposed at least `min_shared` times is then counted
        exactly, common-but-not-too-common fingerprints included, and scored over the smaller side.
        Documents identical to each other (the same k-grams, `min_shared` fingerprints or more) score 1
        however many share them: the first of each such set is paired with each other one, so a whole class
        handing in one essay shows, in a number of pairs that grows with the class, not its square.
        """
        postings: dict[int, list[int]] = defaultdict(list)
        same: dict[bytes, list[int]] = defaultdict(list)
        given = np.fromiter(self.given, dtype=np.uint64, count=len(self.given))
        for who in sorted(self.prints):
            mine = self.prints[who] - self.excluded
            if len(mine) >= min_shared:  # identical: the same k-grams, all of them (fingerprints alone may tie)
                same[np.setdiff1d(self.grams[who], given, assume_unique=True).tobytes()].append(who)
            for h in mine:
                postings[h].append(who)
        # Common by k-gram, not by fingerprint: which k-grams winnowing picks depends on their neighbours, so a
        # passage everyone has would leave a few fingerprints held by only some, near its edges.
        if self.grams:
            values, holders_of = np.unique(np.concatenate(list(self.grams.values())), return_counts=True)
            self.excluded |= set(values[holders_of > limit].tolist())
        proposed: Counter = Counter()
        for holders in postings.values():
            if 1 < len(holders) <= proposing:
                proposed.update(combinations(holders, 2))
        counted = {who: fps - self.excluded for who, fps in self.prints.items()}
        out = {}
        for (i, j), n in proposed.items():
            smaller = min(len(counted[i]), len(counted[j]))
            if n >= min_shared and smaller:
                common = len(counted[i] & counted[j])
                out[(i, j)] = (round(min(1.0, common / smaller), 4), common)
        for holders in same.values():
            for other in holders[1:]:
                out[(holders[0], other)] = (1.0, len(self.prints[other]))
        return out


def _passages(a: Document, b: Document, k: int, excluded: set[int], ids: dict[str, int], most: int,
              whole: bool) -> tuple[tuple[float, float], tuple[tuple[Side, Side], ...]]:
    """Where two documents share k-grams: (share of each side covered, the longest aligned passages, in a's order)."""
    ha, hb = kgram_hashes(a.tokens, k, ids).tolist(), kgram_hashes(b.tokens, k, ids).tolist()
    in_b: dict[int, list[int]] = defaultdict(list)
    for j, h in enumerate(hb):
        in_b[h].append(j)
    shared = (set(ha) & set(in_b)) - excluded
    runs: list[list[int]] = []  # [a_first, a_last, b_first, b_last] in k-gram positions
    for i, h in enumerate(ha):
        if h not in shared:
            continue
        if runs and runs[-1][1] == i - 1 and runs[-1][3] + 1 in in_b[h]:
            runs[-1][1], runs[-1][3] = i, runs[-1][3] + 1
        else:
            runs.append([i, i, in_b[h][0], in_b[h][0]])
    cover_a, cover_b = set(), set()
    for a0, a1, b0, b1 in runs:
        cover_a.update(range(a0, a1 + k))
        cover_b.update(range(b0, b1 + k))
    covered = (len(cover_a) / max(1, len(a.tokens)), len(cover_b) / max(1, len(b.tokens)))
    longest = sorted(sorted(runs, key=lambda r: -(r[1] - r[0]))[:most])
    return covered, tuple((_side(a, r[0], r[1] + k - 1, whole), _side(b, r[2], r[3] + k - 1, whole)) for r in longest)


def _side(doc: Document, first: int, last: int, whole: bool, context_lines: int = 40) -> Side:
    """The lines holding tokens first..last of `doc`, highlighted: all of it when `whole` (prose, whose dropped
    common words belong to the passage), else token by token (code, whose dropped lines do not)."""
    starts = _line_starts(doc.text)
    line0 = bisect.bisect_right(starts, doc.spans[first][0]) - 1
    line1 = min(bisect.bisect_right(starts, max(doc.spans[last][0], doc.spans[last][1] - 1)) - 1, line0 + context_lines)
    show_from = starts[line0]
    show_to = starts[line1 + 1] if line1 + 1 < len(starts) else len(doc.text)
    marked: list[list[int]] = []
    for a, b in doc.spans[first:last + 1]:
        if a >= show_to:
            break
        if marked and (whole or not doc.text[marked[-1][1]:a].strip(" \t")):
            marked[-1][1] = b  # only spaces since the last token: one highlight
        else:
            marked.append([a, b])
    segments, at = [], show_from
    for a, b in marked:
        segments += [(doc.text[at:a], False), (doc.text[a:min(b, show_to)], True)]
        at = min(b, show_to)
    segments.append((doc.text[at:show_to].rstrip("\n"), False))
    return Side(line0 + 1, line1 + 1, tuple(seg for seg in segments if seg[0]))


# --- the class ------------------------------------------------------------------------------------------------


def compare(sources: list[Source], template: str = "", statements: dict[str, str] | None = None,
            settings: Settings = Settings(), not_compared: tuple = ()) -> Similarity:
    """Every pair of `sources` above the thresholds, highest first.

    `template` is the code handed out (its commented-out lines count as code too); `statements` maps
    'problem.part' to text the students were given (the problem statement), left out of free-response matches.
    """
    statements = statements or {}
    n = len(sources)
    names = frozenset(name for s in sources for name, _, _, _ in s.parts)  # the contract's: nobody renames them
    values = frozenset(name for s in sources for name, _, kind, _ in s.parts if kind == "value")
    ids: dict[str, int] = {}
    code = _Index(settings.code_k, settings.code_w)
    texts: dict[str, _Index] = {}
    answers: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)  # (part, normalized) -> holders
    for who, s in enumerate(sources):
        doc = code_document(s.code, names, values)
        code.add(who, doc, ids)
        wrong = {name: (key, status) for name, key, kind, status in s.parts
                 if kind == "value" and status in WRONG_STATUSES}
        for name, written, norm in dict((a[0], a) for a in doc.answers).values():
            if name in wrong and len(norm) >= settings.min_answer_chars:
                answers[(wrong[name][0], norm)].append((who, written.strip()))
        for key, text in s.responses:
            texts.setdefault(key, _Index(settings.text_k, settings.text_w)).add(who, text_document(text), ids)
    if template:
        code.exclude(code_document(_template_cells(template), names, values), ids)
    for key, index in texts.items():
        if statements.get(key):
            index.exclude(text_document(statements[key]), ids)
    limit = settings.common_limit(n)
    found: dict[tuple[int, int], list[Match]] = defaultdict(list)
    for what, index in [("code", code), *sorted(texts.items())]:
        for (i, j), (score, count) in index.pairs(limit, settings.proposing, settings.min_shared).items():
            found[(i, j)].append(Match(what, score, count))
    same: dict[tuple[int, int], list[SharedAnswer]] = defaultdict(list)
    status_of = {(who, key): status for who, s in enumerate(sources) for _, key, _, status in s.parts}
    for (key, _), holders in answers.items():
        if 1 < len(holders) <= settings.rare_limit(n):
            for (i, written), (j, _) in combinations(sorted(holders), 2):
                same[(i, j)].append(SharedAnswer(key, written, status_of[(i, key)], len(holders)))
    flagged = [(i, j) for i, j in set(found) | set(same)
               if same.get((i, j)) or any(m.flagged(settings) for m in found.get((i, j), ()))]
    flagged.sort(key=lambda ij: (-max((m.score for m in found.get(ij, ())), default=0.0), -len(same.get(ij, ())),
                                 sources[ij[0]].student, sources[ij[1]].student))
    indexes = {"code": code, **texts}
    pairs = []
    for i, j in flagged[: settings.max_pairs]:  # the passages only of the pairs the page shows
        detailed = []
        for m in sorted(found.get((i, j), ()), key=lambda m: (-m.score, m.what)):
            index = indexes[m.what]
            covered, passages = _passages(index.docs[i], index.docs[j], index.k, index.excluded, ids,
                                          settings.max_passages, whole=m.what != "code")
            if not passages:  # identical documents made of common passages: show them all the same
                covered, passages = _passages(index.docs[i], index.docs[j], index.k, index.given, ids,
                                              settings.max_passages, whole=m.what != "code")
            detailed.append(Match(m.what, m.score, m.shared, covered, passages))
        pairs.append(Pair(sources[i].student, sources[j].student, tuple(detailed), tuple(same.get((i, j), ()))))
    shown = tuple(pairs)
    return Similarity(shown, n, settings, tuple(not_compared), len(flagged) - len(shown))


def _template_cells(template: str) -> tuple[tuple[str, str], ...]:
    """The template's code, and each of its comments read as code (a template hands out commented-out lines)."""
    comments = [tok[1].lstrip("#").strip() for tok in _raw_tokens(template) if tok[0] == tokenize.COMMENT]
    return (("template", template),) + tuple(("template comment", c.split("  #")[0]) for c in comments if c)


def statements_of(problems) -> dict[str, str]:
    """{'problem.part': the problem's statement} for every manual part: text students may quote, not copy."""
    return {f"{p.name}.{part.name}": p.statement for p in problems for part in p.parts
            if part.kind == "manual" and p.statement}


def sources_of(paths: list[Path], reports: list[Report],
               ids: dict[Path, str] | None = None) -> tuple[list[Source], list[tuple[str, str]]]:
    """What each graded submission holds as text (loaded again, read only), and those that could not be read.

    `ids` gives a path's id in the batch where it is not the submission's own name (a batch of several folders).
    """
    by_student = {r.student: r for r in reports}
    ids = ids or {}
    out, skipped = [], []
    for path in paths:
        with tempfile.TemporaryDirectory(prefix="hw7-sim-") as scratch:
            try:
                sub = load(path, Path(scratch))
            except SubmissionError as exc:
                skipped.append((path.name, f"could not be loaded ({exc})"))
                continue
        student = ids.get(path, sub.student)
        report = by_student.get(student)
        if report is None:
            skipped.append((student, "has no report in this batch"))
            continue
        parts = tuple((p.part, f"{p.problem}.{p.part}", p.kind, p.status) for p in report.parts)
        responses = tuple((f"{a}.{b}", t) for a, b, t in report.responses)
        out.append(Source(report.student, tuple(sub.cells) if sub.kind in ("module", "notebook") else (),
                          responses, parts))
    return out, skipped


_env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(report: Similarity) -> str:
    """similarity.html: the pairs as a table, then each pair's matched passages side by side (no script)."""
    return _env.get_template("similarity.html.j2").render(r=report, s=report.settings)


def write_similarity(paths: list[Path], reports: list[Report], out: Path, template: Path | None = None,
                     statements: dict[str, str] | None = None, settings: Settings = Settings(),
                     ids: dict[Path, str] | None = None) -> Similarity:
    """Compare a graded batch and write OUT/_staff/similarity.html; the report written (`ids`: see sources_of)."""
    sources, skipped = sources_of(paths, reports, ids)
    text = template.read_text(encoding="utf-8") if template is not None and template.is_file() else ""
    report = compare(sources, text, statements, settings, tuple(skipped))
    page = out / PAGE
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(render(report), encoding="utf-8")
    return report
