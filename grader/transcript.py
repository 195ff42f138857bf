"""Reading answers out of a chat transcript (Markdown): helpers for the problems' extractors.

Only text processing: regular expressions over the transcript, never
evaluation. Problems call these from their `transcript.py`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

USER_ROLES = {"user", "you", "student", "human", "me", "prompt"}
ASSISTANT_ROLES = {"assistant", "cursor", "chatgpt", "claude", "gpt", "gpt-4", "gpt-4o", "ai", "model", "copilot",
                   "gemini", "bot", "response"}
_ROLE_LINE = re.compile(r"^\s*(?:#{1,6}\s*)?[*_]{0,2}\s*([A-Za-z][\w-]*)\s*[*_]{0,2}\s*:?\s*[*_]{0,2}(?:\s+(.*))?$")
MAX_ROLE_LINE = 300


@dataclass(frozen=True)
class Turn:
    """One turn of the chat: who spoke, and what."""

    role: str  # "user" or "assistant"
    text: str


def turns(text: str) -> list[Turn]:
    """Split a chat export into turns at lines naming a role ('User', 'Cursor', '**Assistant:**', ...).

    Text before the first role line, or a transcript without any, counts as
    the assistant's (it holds the answers).
    """
    out: list[Turn] = []
    role, lines = "assistant", []
    for line in text.splitlines():
        m = _ROLE_LINE.match(line) if len(line) <= MAX_ROLE_LINE else None
        word = m.group(1).lower() if m else ""
        if m and (word in USER_ROLES or word in ASSISTANT_ROLES):
            if lines:
                out.append(Turn(role, "\n".join(lines)))
            role, lines = ("user" if word in USER_ROLES else "assistant"), []
            # A role line may carry a remark after the role word ("User I pasted the PDF"): keep it with the turn.
            if m.group(2):
                lines.append(m.group(2))
            continue
        lines.append(line)
    if lines:
        out.append(Turn(role, "\n".join(lines)))
    return out


def assistant_text(text: str) -> str:
    """Everything the assistant said, in order."""
    return "\n".join(t.text for t in turns(text) if t.role == "assistant")


def region(text: str, start: str, stops: list[str]) -> str:
    """The text from the first match of `start` up to the first later match of any of `stops` (or the end)."""
    m = re.search(start, text, re.IGNORECASE)
    if not m:
        return ""
    rest = text[m.start():]
    ends = [s.start() for p in stops for s in [re.search(p, rest[1:], re.IGNORECASE)] if s]
    return rest[: min(ends) + 1] if ends else rest


_PART_HEADING = re.compile(r"^\s*(?:#{1,6}\s*)?[*_]{0,2}\s*(?:part|question|q)?\s*\(?\s*([a-h]|i{1,3}|iv|v)\s*\)\s*"
                           r"(?:[:.\-–—]|\s)\s*(.*)$", re.IGNORECASE)


def parts(text: str) -> dict[str, str]:
    """Sections by part label: {'a': 'heading + body', 'b': ...}; the first section of a label wins."""
    out: dict[str, str] = {}
    label, lines = None, []
    for line in text.splitlines():
        m = _PART_HEADING.match(line)
        if m and len(line) < 200:
            if label and label not in out:
                out[label] = "\n".join(lines)
            label, lines = m.group(1).lower(), [m.group(2)]
            continue
        lines.append(line)
    if label and label not in out:
        out[label] = "\n".join(lines)
    return out


_ANSWER = re.compile(r"^\s*[*_]{0,2}\s*(?:final\s+)?answer\s*[*_]{0,2}\s*[:：]\s*[*_]{0,2}\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)


def answer_lines(text: str) -> list[str]:
    """The text after each 'Answer:' label, in order."""
    return [clean_inline(m.group(1)) for m in _ANSWER.finditer(text)]


def clean_inline(text: str) -> str:
    """Strip Markdown emphasis, code ticks and inline-math dollars around a short answer."""
    text = re.sub(r"[*`]+", "", text)
    text = re.sub(r"\$+", "", text)
    return text.strip().rstrip(".").strip()


def math_blocks(text: str) -> list[str]:
    """Displayed math: $$...$$, \\[...\\], and the insides of \\boxed{...}, in order of appearance."""
    found = [(m.start(), m.group(1).strip()) for m in re.finditer(r"\$\$(.+?)\$\$", text, re.DOTALL)]
    found += [(m.start(), m.group(1).strip()) for m in re.finditer(r"\\\[(.+?)\\\]", text, re.DOTALL)]
    return [t for _, t in sorted(found)]


def words(text: str) -> int:
    """A word count that ignores Markdown symbols."""
    return len(re.findall(r"[A-Za-z0-9][A-Za-z0-9'’\-]*", text))
