"""A chat cut into one region per problem, from the problems' `Recognize` declarations; what extractors return.

Each assistant turn is cut into blocks at its heading lines (Markdown
headings, bold lines, part labels such as "Part (c)", "Question 3b", and in
plain-text exports short title lines between blank lines). A block belongs to
the problem its heading names; a block whose heading names none (or that has
none) belongs to the problem being discussed: the one the last user turn (or
conversation title) asked about, else the one of the block before. A turn
with no context yet goes to the problem its text names most. So questions may
come in any order, in any number of turns, and one reply may answer several.

Extractors (`problems/<name>/transcript.py`) receive their `Region` and
return an `Extraction`: every answer they see (`Found`, with where it was
written), plain data for the checks, and `Place`s the checks may mark.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from grader.transcripts.formats import Chat

HEADING_WEIGHT = 3  # a match of a problem's heading pattern in a heading line
TOPIC_IN_HEADING = 2  # a match of one of its topic words there
WIN = 2  # the least score that names a problem
LEAD_WIN = 5  # the least score of a reply's first line (not a heading) that names a problem there and then
MAX_HITS = 5  # matches of one topic pattern counted in a block (a long answer does not win by repetition)
MAX_HEADING = 160  # characters of a heading line

MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+\S")
BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)[^*_\n]{2,150}(?:\*\*|__)\s*:?\s*$")
QUESTION_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?[*_]{0,2}\s*(?:question|problem|q)\s*\d{1,2}", re.IGNORECASE)
# A part label as written in a heading: "Part (b)", "(ii)", "Question 3b", "b." at the start.
PART_LABEL = re.compile(r"^\s*(?:#{1,6}\s*)?[*_]{0,2}\s*(?:part|question|q|problem)?\s*(?:\d{1,2}\s*)?\(?\s*"
                        r"([a-h]|i{1,3}|iv|vi{0,3}|ix|x)\s*[).:]", re.IGNORECASE)


@dataclass(frozen=True)
class Segment:
    """A contiguous piece of one turn's text: which turn, where it starts there, and the text."""

    turn: int
    start: int
    text: str
    number: int = 0  # the turn as a reader counts them (1 for the first message; titles are not counted)

    @property
    def end(self) -> int:
        """Where the piece ends in its turn's text."""
        return self.start + len(self.text)


@dataclass(frozen=True)
class Region:
    """What one problem reads of a chat: the assistant's segments about it, and the user's questions about it."""

    problem: str
    segments: tuple[Segment, ...] = ()
    questions: tuple[Segment, ...] = ()

    @property
    def text(self) -> str:
        """The assistant's text about the problem, in order (for extractors that need no positions)."""
        return "\n\n".join(s.text for s in self.segments)

    @property
    def turns(self) -> tuple[int, ...]:
        """The turns the region reads from, in order."""
        return tuple(dict.fromkeys(s.turn for s in self.segments))


@dataclass(frozen=True)
class Found:
    """One answer an extractor read: its name, its value (plain data), where it was written and how it was read.

    An extractor reports every answer it sees, in chat order; the engine grades
    the last one of each name and shows the others as superseded.
    """

    name: str
    value: object
    turn: int
    start: int
    end: int
    how: str = ""  # e.g. "the Answer: line", "the token table", shown in the report

    @classmethod
    def at(cls, name: str, value, segment: Segment, start: int, end: int, how: str = "") -> "Found":
        """A Found whose span is given relative to `segment`'s text."""
        return cls(name, value, segment.turn, segment.start + start, segment.start + end, how)


@dataclass(frozen=True)
class Place:
    """A span of the chat that a check may mark with its verdict (a derivation step), named by a unique key.

    Keys start with the problem's name ("pca_autoencoder:eq3:2"); the check
    marks it with `answers.mark(key, verdict, note)`.
    """

    key: str
    turn: int
    start: int
    end: int
    part: str  # the part whose checks give the verdict


@dataclass(frozen=True)
class Extraction:
    """What a problem's extractor read from its region."""

    found: tuple[Found, ...] = ()
    data: tuple[tuple[str, object], ...] = ()  # (name, plain value) for checks, not graded as an answer
    places: tuple[Place, ...] = ()
    notes: tuple[str, ...] = ()


# ---------------------------------------------------------------- scoring

@dataclass(frozen=True)
class _Scorer:
    """A problem's compiled recognition patterns."""

    name: str
    topics: tuple
    headings: tuple

    def heading(self, line: str) -> int:
        """How strongly a heading line names the problem."""
        return (HEADING_WEIGHT * sum(1 for p in self.headings if p.search(line))
                + TOPIC_IN_HEADING * sum(1 for p in self.topics if p.search(line)))

    def body(self, text: str) -> int:
        """How much a text speaks of the problem: matches of its topic words, each pattern capped."""
        score = HEADING_WEIGHT * sum(1 for p in self.headings if p.search(text))
        for p in self.topics:
            hits = 0
            for _ in p.finditer(text):
                hits += 1
                if hits >= MAX_HITS:
                    break
            score += hits
        return score

    def first(self, text: str) -> int:
        """Where the text first names the problem (len(text) when it does not)."""
        found = [m.start() for p in (*self.headings, *self.topics) for m in [p.search(text)] if m]
        return min(found, default=len(text))


def _scorers(problems) -> list[_Scorer]:
    out = []
    for p in problems:
        spec = p.recognize
        if spec is None:
            continue
        out.append(_Scorer(p.name, tuple(re.compile(t, re.IGNORECASE) for t in spec.topics),
                           tuple(re.compile(h, re.IGNORECASE) for h in spec.headings)))
    return out


def _winner(scores: dict[str, int], least: int = 0) -> str | None:
    """The problem with the highest score, when it reaches `least` (WIN by default) and no other ties it."""
    if not scores:
        return None
    best = max(scores.values())
    top = [n for n, s in scores.items() if s == best]
    return top[0] if best >= (least or WIN) and len(top) == 1 else None


def _asked(text: str, scorers: list[_Scorer], context: str | None) -> str | None:
    """The problem a user turn (or a title) asks about; of several asked at once, the one asked first.

    Where nothing is being discussed yet, one topic word is enough; to move away from the problem under
    discussion, the turn must name another one more clearly.
    """
    scores = {s.name: s.body(text) for s in scorers}
    named = [n for n, v in scores.items() if v >= WIN + 1]
    if len(named) > 1:
        by = {s.name: s for s in scorers}
        return min(named, key=lambda n: by[n].first(text))
    return _winner(scores, 1 if context is None else WIN)


# ---------------------------------------------------------------- cutting turns

def is_heading(lines: list[str], i: int) -> bool:
    """Whether line i opens a new block: a Markdown heading, a bold line, a part label, or a title line."""
    line = lines[i]
    if len(line) > MAX_HEADING or not line.strip():
        return False
    if MARKDOWN_HEADING.match(line) or BOLD_LINE.match(line) or QUESTION_HEADING.match(line) or part_label(line):
        return True
    # Plain-text exports lose the Markdown: a short capitalized line between blank lines, not a sentence.
    s = line.strip()
    before = i == 0 or not lines[i - 1].strip()
    after = i + 1 >= len(lines) or not lines[i + 1].strip()
    return (before and after and len(s) <= 80 and s[0].isupper() and len(s.split()) <= 10
            and not s.endswith((".", ",", ";", ":")) and "$" not in s and "|" not in s and "\t" not in s)


def blocks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, heading line) for each block of a turn; the first block's heading may be ''."""
    lines = text.split("\n")
    out: list[tuple[int, int, str]] = []
    pos, start, heading = 0, 0, ""
    fenced = False
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and i > 0 and is_heading(lines, i):
            out.append((start, pos, heading))
            start, heading = pos, line.strip()
        elif i == 0 and is_heading(lines, 0):
            heading = line.strip()
        pos += len(line) + 1
    out.append((start, len(text), heading))
    return [b for b in out if b[1] > b[0]]


def split(chat: Chat, problems) -> dict[str, Region]:
    """One Region per problem that declares how it is recognized (empty when the chat never answers it)."""
    scorers = _scorers(problems)
    segments: dict[str, list[Segment]] = {s.name: [] for s in scorers}
    questions: dict[str, list[Segment]] = {s.name: [] for s in scorers}
    context: str | None = None
    conversation = None
    for index, turn in enumerate(chat.turns):
        number = chat.number(index)
        if turn.conversation != conversation:
            conversation, context = turn.conversation, None  # a new conversation starts from nothing
        if turn.role == "meta":
            context = _asked(turn.text, scorers, context) or context
            continue
        if turn.role == "user":
            context = _asked(turn.text, scorers, context) or context
            if context is not None:
                questions[context].append(Segment(index, 0, turn.text, number))
            continue
        current = context
        for start, end, heading in blocks(turn.text):
            named = _winner({s.name: s.heading(heading) for s in scorers}) if heading else None
            if not heading:
                # No heading: a first line that names a problem outright ("For the l2-regularized autoencoder
                # with weight decay:") still opens its answer.
                lead = turn.text[start:end].strip().split("\n", 1)[0][:MAX_HEADING]
                named = _winner({s.name: s.heading(lead) for s in scorers}, LEAD_WIN)
            other = named is None and bool(heading) and QUESTION_HEADING.match(heading) is not None
            if named is not None:
                current = named
            elif other:
                current = None  # "Question 5: ..." that no problem recognizes: another question, not ours
            elif current is None:  # nothing asked yet: the problem the text names
                current = _winner({s.name: s.body(turn.text[start:end]) for s in scorers}, 1)
            if current is None:
                continue
            found = segments[current]
            if found and found[-1].turn == index and found[-1].end == start:
                found[-1] = Segment(index, found[-1].start, turn.text[found[-1].start:end], number)
            else:
                found.append(Segment(index, start, turn.text[start:end], number))
        context = current
    return {n: Region(n, tuple(segments[n]), tuple(questions[n])) for n in segments}


def part_label(line: str) -> str | None:
    """The part label a heading line opens ('b', 'ii'), or None."""
    if len(line) > MAX_HEADING:
        return None
    m = PART_LABEL.match(line)
    return m.group(1).lower() if m else None


def sections(segment: Segment, labels: tuple[str, ...] = ()) -> list[tuple[str | None, Segment]]:
    """A segment cut at its part headings: (label, piece); pieces before the first heading have label None.

    With `labels`, only headings of those labels cut (a problem's own part labels).
    """
    out: list[tuple[str | None, Segment]] = []
    label, start, pos = None, 0, 0
    for line in segment.text.split("\n"):
        found = part_label(line)
        if found is not None and (not labels or found in labels) and pos > start:
            out.append((label, Segment(segment.turn, segment.start + start, segment.text[start:pos], segment.number)))
            start = pos
        if found is not None and (not labels or found in labels):
            label = found
        pos += len(line) + 1
    out.append((label, Segment(segment.turn, segment.start + start, segment.text[start:], segment.number)))
    return [(lab, s) for lab, s in out if s.text.strip()]
