"""Where each extracted answer and each checked step sits in the chat, and `transcript.html`, the chat marked.

A `Mark` is a span of one turn with a verdict: `graded` and `superseded` for
answers (the engine's choice among a chat's answers to one part), and
`holds`, `fails` and `unread` for places a check judged (derivation steps).
`transcript.html` shows the chat as written (every character escaped, no
script, a content security policy that forbids any), each mark highlighted in
place with `data-verdict`, and beside it the per-part table each mark links to.
"""
from __future__ import annotations

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
