"""Reading the seq2seq answers out of this problem's region of a chat (text parsing only; nothing is run).

In each reply about the problem, part (a) is the free response, parts (b)
and (c) the training and evaluation inputs; a section without a label counts
as (b) or (c) when its heading says training or evaluation. The tokens of a
part are the first "Answer: ..." line listing four or more tokens, else a
table with rows w1 ... w5. Every answer seen is reported: a later reply that
answers a part again revises it.
"""
from __future__ import annotations

import re

from grader.transcripts import markdown as md
from grader.transcripts.regions import Extraction, Found, Region, Segment, sections

NAMES = {"a": "vertical_stacking_problem", "b": "training_decoder_inputs", "c": "evaluation_decoder_inputs"}
TRAINING = re.compile(r"\btrain|teacher[- ]forc", re.IGNORECASE)
EVALUATION = re.compile(r"evaluat|inference|test[- ]time|generat", re.IGNORECASE)
MAX_RESPONSE_CHARS = 3000
_TABLE_ROW = re.compile(r"^[ \t]*\|?[ \t]*[*_`]*w[ \t]*(?:_[ \t]*)?\{?[ \t]*([1-5₁₂₃₄₅])[ \t]*\}?[*_`]*[ \t]*[|:=\t ][ \t]*"
                        r"\|?[ \t]*(\S[^|\n]*?)[ \t]*\|?[ \t]*$", re.IGNORECASE | re.MULTILINE)
_SUB = str.maketrans("₁₂₃₄₅", "12345")


def tokens_from_line(line: str) -> list:
    """'<sos>, I, see, a, dog' → ['<sos>', 'I', 'see', 'a', 'dog'] (commas, arrows or bars separate)."""
    line = line.replace("&lt;", "<").replace("&gt;", ">").replace("\\langle", "<").replace("\\rangle", ">")
    parts = re.split(r"\s*(?:,|→|->|\|)\s*", line.strip().strip("[]()"))
    return [p.strip().strip("'\"") for p in parts if p.strip().strip("'\"")]


def tokens_from_table(text: str) -> tuple[list, int, int] | None:
    """(tokens w1..w5, start, end) from a 'w1 | <sos>' table, when all five rows are there."""
    rows, start, end = {}, None, None
    for m in _TABLE_ROW.finditer(text):
        rows.setdefault(int(m.group(1).translate(_SUB)), md.clean_inline(m.group(2)))
        start = m.start() if start is None else start
        end = m.end()
    if sorted(rows) != [1, 2, 3, 4, 5]:
        return None
    return [rows[i] for i in range(1, 6)], start, end


def which(label: str | None, section: Segment) -> str | None:
    """The answer name a section answers: by its part label, else by what its heading says."""
    if label in NAMES:
        return NAMES[label]
    heading = section.text.split("\n", 1)[0]
    if EVALUATION.search(heading):
        return NAMES["c"]
    if TRAINING.search(heading) and not re.search(r"vertical|stack", heading, re.IGNORECASE):
        return NAMES["b"]
    return None


def tokens(name: str, section: Segment) -> Found | None:
    """The token list a section gives: its first Answer line with four or more tokens, else its w1..w5 table."""
    for piece in md.answer_lines(section.text):
        found = tokens_from_line(piece.text)
        if len(found) >= 4:
            return Found.at(name, found, section, piece.start, piece.end, "the Answer: line")
    table = tokens_from_table(section.text)
    if table is not None:
        return Found.at(name, table[0], section, table[1], table[2], "the table of w1 ... w5")
    return None


def extract(region: Region) -> Extraction:
    """Every seq2seq answer in the region, in chat order."""
    found = []
    for segment in region.segments:
        for label, section in sections(segment, tuple(NAMES)):
            name = which(label, section)
            if name == NAMES["a"]:
                body = section.text.strip()
                lead = len(section.text) - len(section.text.lstrip())
                text = body[:MAX_RESPONSE_CHARS]
                found.append(Found.at(name, text, section, lead, lead + len(text), f"the section of part ({label})"))
            elif name is not None and (answer := tokens(name, section)) is not None:
                found.append(answer)
    return Extraction(found=tuple(found))
