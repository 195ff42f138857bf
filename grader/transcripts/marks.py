"""Where each extracted answer and each checked step sits in the chat, and `transcript.html`, the chat marked.

A `Mark` is a span of one turn with a verdict: `graded` and `superseded` for
answers (the engine's choice among a chat's answers to one part), and
`holds`, `fails` and `unread` for places a check judged (derivation steps).
`transcript.html` shows the chat as written (every character escaped, no
script, a content security policy that forbids any), each mark highlighted in
place with `data-verdict`, and beside it the per-part table each mark links to.
"""
from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass, replace
from pathlib import Path

from grader.errors import ConfigError
from grader.transcripts.formats import Turn

ANSWER_VERDICTS = ("graded", "superseded")
CHECK_VERDICTS = ("holds", "fails", "unread")
VERDICTS = ANSWER_VERDICTS + CHECK_VERDICTS
PENDING = "pending"  # a place no check has judged (yet): not shown
MAX_NOTE = 600


@dataclass(frozen=True)
class Mark:
    """A span of one turn, what it is (an answer to a part, a step a check judged) and its verdict."""

    turn: int
    start: int
    end: int
    verdict: str  # graded | superseded | holds | fails | unread (| pending before the checks ran)
    problem: str
    part: str
    note: str = ""  # why: "the last answer in the chat", "3 ≠ 4 at ...", shown on hover and in the side table
    key: str = ""  # a place's key, by which a check marks it


@dataclass(frozen=True)
class Transcript:
    """The chat as read, with its marks: what `transcript.html` shows."""

    format: str
    turns: tuple[Turn, ...]
    marks: tuple[Mark, ...] = ()
    regions: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (problem, the turns its answers were read from)

    def with_verdicts(self, verdicts: dict) -> "Transcript":
        """The transcript with the checks' verdicts on its places ({key: (verdict, note)}); unjudged places dropped."""
        marks = []
        for m in self.marks:
            if m.verdict != PENDING:
                marks.append(m)
            elif m.key in verdicts:
                verdict, note = verdicts[m.key]
                marks.append(replace(m, verdict=verdict, note=note[:MAX_NOTE]))
        return replace(self, marks=tuple(marks))

    def count(self, verdict: str) -> int:
        """How many marks carry `verdict`."""
        return sum(1 for m in self.marks if m.verdict == verdict)

    def to_json(self) -> dict:
        """Plain data for report.json."""
        return {"format": self.format,
                "turns": [[t.role, t.text, t.speaker, t.conversation] for t in self.turns],
                "marks": [[m.turn, m.start, m.end, m.verdict, m.problem, m.part, m.note, m.key] for m in self.marks],
                "regions": [[p, list(ts)] for p, ts in self.regions]}

    @classmethod
    def from_json(cls, data: dict) -> "Transcript":
        """The Transcript that `to_json` wrote."""
        return cls(str(data["format"]), tuple(Turn(str(r), str(t), str(s), int(c)) for r, t, s, c in data["turns"]),
                   tuple(Mark(int(a), int(b), int(c), str(v), str(p), str(q), str(n), str(k))
                         for a, b, c, v, p, q, n, k in data["marks"]),
                   tuple((str(p), tuple(int(t) for t in ts)) for p, ts in data.get("regions", [])))


def check_verdict(verdict: str) -> str:
    """`verdict` if a check may give it; a ConfigError naming the choices otherwise."""
    if verdict not in CHECK_VERDICTS:
        raise ConfigError(f"a check marks a place as one of {CHECK_VERDICTS}, not {verdict!r}")
    return verdict


# ---------------------------------------------------------------- transcript.html

VERDICT_WORDS = {"graded": "graded answer", "superseded": "superseded answer", "holds": "step holds",
                 "fails": "step does not hold", "unread": "step could not be read"}
TAG_SIGNS = {"graded": "●", "superseded": "○", "holds": "✓", "fails": "✗", "unread": "?"}
LONG_USER_TURN = 1500  # characters: a longer user message (a pasted homework) is folded
_FENCE = re.compile(r"^\s*(```|~~~)")
_TABLE_LINE = re.compile(r"^\s*\|.*\||^[^\t\n]+\t[^\n]*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+")
_DISPLAY_OPEN = re.compile(r"\$\$|\\\[")


@dataclass(frozen=True)
class _Block:
    kind: str  # p | h | math | code | table | blank
    start: int
    end: int


def _blocks(text: str) -> list[_Block]:
    """The turn's text cut into blocks: headings, paragraphs (one per line), displayed math, code, tables."""
    out: list[_Block] = []
    lines = text.split("\n")
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    i = 0
    while i < len(lines):
        line, s = lines[i], starts[i]
        if _FENCE.match(line):
            j = i + 1
            while j < len(lines) and not _FENCE.match(lines[j]):
                j += 1
            j = min(j, len(lines) - 1)
            out.append(_Block("code", s, starts[j] + len(lines[j])))
            i = j + 1
            continue
        opened = _DISPLAY_OPEN.search(line)
        if opened and line.strip().startswith(("$$", "\\[")):
            closer = "$$" if opened.group(0) == "$$" else "\\]"
            j, rest = i, line[opened.end():]
            while closer not in rest and j + 1 < len(lines) and j - i < 200:
                j += 1
                rest = lines[j]
            out.append(_Block("math", s, starts[j] + len(lines[j])))
            i = j + 1
            continue
        if _TABLE_LINE.match(line):
            j = i
            while j + 1 < len(lines) and _TABLE_LINE.match(lines[j + 1]):
                j += 1
            if j > i:
                out.append(_Block("table", s, starts[j] + len(lines[j])))
                i = j + 1
                continue
        kind = "blank" if not line.strip() else ("h" if _HEADING.match(line) else "p")
        out.append(_Block(kind, s, s + len(line)))
        i += 1
    return out


def _nest(marks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Intervals (start, end, id) made properly nested: one that crosses an enclosing one is clipped to it."""
    out, stack = [], []
    for s, e, i in sorted(marks, key=lambda m: (m[0], -m[1], m[2])):
        while stack and stack[-1][1] <= s:
            stack.pop()
        if stack and e > stack[-1][1]:
            e = stack[-1][1]
        if e > s:
            out.append((s, e, i))
            stack.append((s, e, i))
    return out


class _Renderer:
    """One report's chat as HTML: escaped text, blocks, and each mark in place."""

    def __init__(self, transcript: Transcript):
        self.t = transcript
        self.ids = {id(m): n for n, m in enumerate(transcript.marks)}
        self.by_turn: dict[int, list[Mark]] = {}
        for m in transcript.marks:
            self.by_turn.setdefault(m.turn, []).append(m)

    def open_tag(self, m: Mark, block: bool) -> str:
        """The element that opens a mark, with its verdict, part and why."""
        title = f"{m.problem}.{m.part}: {VERDICT_WORDS[m.verdict]}" + (f" — {m.note}" if m.note else "")
        el = "div" if block else "mark"
        return (f'<{el} class="mk v-{m.verdict}{" mk-block" if block else ""}" id="m{self.ids[id(m)]}" '
                f'data-verdict="{m.verdict}" data-part="{html.escape(m.problem)}.{html.escape(m.part)}" '
                f'title="{html.escape(title)}">')

    def close_tag(self, m: Mark, block: bool) -> str:
        """The link to the mark's row in the part table, and the end of the mark."""
        label = m.part if m.verdict in ANSWER_VERDICTS else "step"
        link = (f'<a class="tag" href="#part-{html.escape(m.problem)}.{html.escape(m.part)}">'
                f'{TAG_SIGNS[m.verdict]} {html.escape(label)}</a>')
        return link + ("</div>" if block else "</mark>")

    def inline(self, text: str, a: int, b: int, marks: list[Mark]) -> str:
        """text[a:b] escaped, with the marks that lie inside it."""
        inside = [(max(m.start, a), min(m.end, b), self.ids[id(m)]) for m in marks if m.start < b and m.end > a]
        by_id = {self.ids[id(m)]: m for m in marks}
        events: list[tuple[int, int, int, int]] = []
        for k, (s, e, i) in enumerate(_nest(inside)):
            events.append((s, 1, k, i))  # opens: the enclosing mark first
            events.append((e, 0, -k, i))  # closes, before opens at the same place: the innermost first
        events.sort()
        out, pos = [], a
        for at, kind, _, i in events:
            out.append(html.escape(text[pos:at]))
            pos = at
            out.append(self.open_tag(by_id[i], False) if kind == 1 else self.close_tag(by_id[i], False))
        out.append(html.escape(text[pos:b]))
        return "".join(out)

    def block_html(self, text: str, blk: _Block, marks: list[Mark]) -> str:
        """One block of a turn (heading, paragraph, math, code, table) with the marks inside it."""
        a, b = blk.start, blk.end
        if blk.kind == "blank":
            return ""
        if blk.kind == "h":
            m = _HEADING.match(text[a:b])
            level = min(6, max(3, len(m.group(1)) + 2))
            return f"<h{level}>{self.inline(text, a + m.end(), b, marks)}</h{level}>"
        if blk.kind == "math":
            return f'<div class="math">{self.inline(text, a, b, marks)}</div>'
        if blk.kind == "code":
            return f"<pre>{self.inline(text, a, b, marks)}</pre>"
        if blk.kind == "table":
            rows, pos = [], a
            for line in text[a:b].split("\n"):
                if re.fullmatch(r"[\s|:\-]+", line):
                    pos += len(line) + 1
                    continue
                sep = "|" if "|" in line else "\t"
                cells, cpos = [], pos
                parts = line.split(sep)
                if sep == "|" and line.strip().startswith("|"):
                    cpos += len(parts[0]) + 1
                    parts = parts[1:]
                if sep == "|" and parts and not parts[-1].strip():
                    parts = parts[:-1]
                for part in parts:
                    cells.append(f"<td>{self.inline(text, cpos, cpos + len(part), marks)}</td>")
                    cpos += len(part) + 1
                rows.append("<tr>" + "".join(cells) + "</tr>")
                pos += len(line) + 1
            return f'<table class="chat-table">{"".join(rows)}</table>'
        return f"<p>{self.inline(text, a, b, marks)}</p>"

    def turn_html(self, index: int, turn: Turn) -> str:
        """A whole turn, its marks in place."""
        text = turn.text
        marks = [m for m in self.by_turn.get(index, ()) if 0 <= m.start < m.end <= len(text)]
        blocks = _blocks(text)
        starts = [blk.start for blk in blocks]

        def block_of(pos: int, end: bool) -> int:
            """The block holding a mark's start (or, with `end`, its end); -1 outside every block."""
            n = bisect.bisect_left(starts, pos) - 1 if end else bisect.bisect_right(starts, pos) - 1
            if n < 0:
                return 0 if blocks and not end else -1
            inside = blocks[n].start < pos <= blocks[n].end if end else pos < blocks[n].end
            if inside:
                return n
            return n + 1 if not end and n + 1 < len(blocks) else (n if end else -1)

        # A mark inside one block is drawn in the text; one over several blocks wraps them.
        spans, inline = [], {}
        for m in marks:
            first, last = block_of(m.start, False), block_of(m.end, True)
            if first < 0 or last < 0 or last < first:
                continue
            if first == last and (blocks[first].kind != "table" or _in_one_cell(text, m)):
                inline.setdefault(first, []).append(m)
            else:
                spans.append((first, last + 1, self.ids[id(m)]))
        by_id = {self.ids[id(m)]: m for m in marks}
        opens: dict[int, list[int]] = {}
        closes: dict[int, list[int]] = {}
        for s, e, i in _nest(spans):
            opens.setdefault(s, []).append(i)
            closes.setdefault(e, []).insert(0, i)
        out = []
        for n, blk in enumerate(blocks):
            for i in closes.get(n, []):
                out.append(self.close_tag(by_id[i], True))
            for i in opens.get(n, []):
                out.append(self.open_tag(by_id[i], True))
            out.append(self.block_html(text, blk, inline.get(n, [])))
        for i in closes.get(len(blocks), []):
            out.append(self.close_tag(by_id[i], True))
        return "".join(out)


def _in_one_cell(text: str, m: Mark) -> bool:
    return "\n" not in text[m.start:m.end] and "|" not in text[m.start:m.end] and "\t" not in text[m.start:m.end]


def chat_html(transcript: Transcript) -> list[dict]:
    """Each turn as a dict for the template: its role, speaker, number and body HTML (escaped, marks in place)."""
    r = _Renderer(transcript)
    out, number = [], 0
    for index, turn in enumerate(transcript.turns):
        if turn.role != "meta":
            number += 1
        body = r.turn_html(index, turn)
        out.append({"role": turn.role, "speaker": turn.speaker, "number": number if turn.role != "meta" else None,
                    "html": body, "fold": turn.role == "user" and len(turn.text) > LONG_USER_TURN,
                    "chars": len(turn.text), "marks": len(r.by_turn.get(index, ()))})
    return out


def part_rows(report, transcript: Transcript) -> list[dict]:
    """The per-part table beside the chat: each part's score and status, and links to its marks."""
    number = {}
    count = 0
    for index, turn in enumerate(transcript.turns):
        count += turn.role != "meta"
        number[index] = count
    rows = []
    for p in report.parts:
        mine = [(n, m) for n, m in enumerate(transcript.marks) if (m.problem, m.part) == (p.problem, p.part)]
        checks = [c for c in report.checks if (c.problem, c.part) == (p.problem, p.part)]
        messages = [c.message for c in checks if mine and c.visibility != "hidden" and c.message
                    and all(m.verdict in CHECK_VERDICTS for _, m in mine)]
        # Every answer is linked; of the checked steps, those that do not hold or could not be read (the rest
        # are counted).
        rows.append({"key": f"{p.problem}.{p.part}", "part": p, "links": [
            {"href": f"#m{n}", "verdict": m.verdict, "sign": TAG_SIGNS[m.verdict], "turn": number.get(m.turn, 0),
             "note": m.note} for n, m in mine if m.verdict != "holds"],
            "counts": {v: sum(1 for _, m in mine if m.verdict == v) for v in VERDICTS},
            "messages": messages})
    return rows


def render_transcript(report, words: dict) -> str:
    """transcript.html for one report: the chat, marked, beside the per-part table (self-contained, no script)."""
    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(loader=jinja2.PackageLoader("grader", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    t = report.transcript
    turns = [{**turn, "html": Markup(turn["html"])} for turn in chat_html(t)]
    counts = {v: t.count(v) for v in VERDICTS}
    return env.get_template("transcript.html.j2").render(r=report, t=t, turns=turns, rows=part_rows(report, t),
                                                         counts=counts, words=words, verdict_words=VERDICT_WORDS)


def write_transcript(report, path: Path, words: dict) -> Path | None:
    """Write transcript.html for a chat submission at `path`; None (nothing written) for code submissions."""
    if getattr(report, "transcript", None) is None:
        return None
    path.write_text(render_transcript(report, words), encoding="utf-8")
    return path


def transcript_path(report_html: Path) -> Path:
    """Where `grader check --html FILE` writes the marked chat: transcript.html beside FILE (never FILE itself)."""
    path = report_html.with_name("transcript.html")
    return path if path.resolve() != report_html.resolve() else report_html.with_name("transcript.marked.html")
