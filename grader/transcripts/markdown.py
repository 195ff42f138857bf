"""Text helpers for the problems' extractors: answer lines, tables and math, each with where it sits.

Only regular expressions over text, each linear in its input (no nested
quantifiers over the same characters); nothing is evaluated. Positions are
offsets in the text given, so that an extractor can report where an answer was
written (`Found.at(..., segment, start, end)`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_INLINE = 400  # characters of one inline formula
MAX_DISPLAY = 6000  # characters of one displayed formula

ANSWER = re.compile(r"^[ \t>*_#-]*(?:\(?(?:[ivx]{1,4}|[a-h])\)[ \t*_]*)?(?:\*\*|__)?\s*(?:final\s+)?answer\s*"
                    r"(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?[ \t]*"
                    r"(?P<value>[^\n]*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Piece:
    """A piece of text found in a larger one: where it starts and ends there, and its content."""

    start: int
    end: int
    text: str


def answer_lines(text: str) -> list[Piece]:
    """Each 'Answer: ...' label's value, cleaned of emphasis, code ticks and math dollars, with its span."""
    out = []
    for m in ANSWER.finditer(text):
        value = clean_inline(m.group("value"))
        if value:
            out.append(Piece(m.start("value"), m.end("value"), value))
    return out


def clean_inline(text: str) -> str:
    """A short answer without Markdown emphasis, code ticks, math dollars or a final period."""
    text = re.sub(r"[*`]+", "", text)
    text = re.sub(r"\$+", "", text)
    return text.strip().rstrip(".").strip()


# Displayed math: $$...$$ or \[...\]. Neither may contain its own closing mark, so a scan is linear.
DISPLAYED = re.compile(r"\$\$(?P<a>(?:[^$]|\$(?!\$)){1,%d}?)\$\$|\\\[(?P<b>(?:[^\\]|\\(?!\])){1,%d}?)\\\]"
                       % (MAX_DISPLAY, MAX_DISPLAY), re.DOTALL)
# Inline math in running text: $...$ (not $$) or \(...\), within one line.
INLINE = re.compile(r"(?<![\\$])\$(?!\$)(?P<a>[^$\n]{1,%d})(?<!\\)\$(?!\$)|\\\((?P<b>(?:[^\\\n]|\\[^()\n]){1,%d}?)\\\)"
                    % (MAX_INLINE, MAX_INLINE))


def math_blocks(text: str) -> list[Piece]:
    """The displayed formulas, in order: each Piece spans the formula's inside (without the delimiters)."""
    out = []
    for m in DISPLAYED.finditer(text):
        group = "a" if m.group("a") is not None else "b"
        out.append(Piece(m.start(group), m.end(group), m.group(group)))
    return out


def inline_math(text: str) -> list[Piece]:
    """The inline formulas outside displayed math, in order (insides only)."""
    out = []
    spans = [(m.start(), m.end()) for m in DISPLAYED.finditer(text)]
    pos = 0
    for a, b in [*spans, (len(text), len(text))]:
        for m in INLINE.finditer(text, pos, a):
            group = "a" if m.group("a") is not None else "b"
            out.append(Piece(m.start(group), m.end(group), m.group(group)))
        pos = b
    return out
