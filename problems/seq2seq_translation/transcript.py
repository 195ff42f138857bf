"""Reading the seq2seq answers out of a chat transcript."""
from __future__ import annotations

import re

from grader import transcript as tx

START = r"machine translation|encoder[- ]decoder|seq2seq"
STOPS = [r"auto-?encoder", r"resnet", r"\bPCA\b"]
_TABLE_ROW = re.compile(r"^\s*\|?\s*w\s*(?:_\s*)?\{?\s*([1-5₁₂₃₄₅])\s*\}?\s*[|:=\t ]\s*\|?\s*(\S[^|]*?)\s*\|?\s*$",
                        re.IGNORECASE | re.MULTILINE)
_SUB = str.maketrans("₁₂₃₄₅", "12345")


def tokens_from_line(line: str) -> list:
    """'<sos>, the, cat' → ['<sos>', 'the', 'cat'] (commas or arrows separate)."""
    line = line.replace("&lt;", "<").replace("&gt;", ">").replace("\\langle", "<").replace("\\rangle", ">")
    parts = re.split(r"\s*(?:,|→|->|\|)\s*", line.strip().strip("[]()"))
    return [p.strip().strip("'\"") for p in parts if p.strip().strip("'\"")]


def tokens_from_table(text: str) -> list:
    """Tokens from a 'w1 | <sos>' style table, in w1..w5 order, when all five rows are there."""
    rows = {}
    for m in _TABLE_ROW.finditer(text):
        rows.setdefault(int(m.group(1).translate(_SUB)), tx.clean_inline(m.group(2)))
    return [rows[i] for i in range(1, 6)] if sorted(rows) == [1, 2, 3, 4, 5] else []


def _tokens(section: str) -> list | None:
    for line in tx.answer_lines(section):
        toks = tokens_from_line(line)
        if len(toks) >= 4:
            return toks
    return tokens_from_table(section) or None


def extract(text: str) -> dict:
    """The seq2seq answers found in the assistant's turns."""
    body = tx.region(tx.assistant_text(text), START, STOPS)
    if not body:
        return {"_notes": ["no machine-translation answers found (looked for a section mentioning machine translation)"]}
    sections = tx.parts(body)
    found: dict = {}
    if "a" in sections:
        found["vertical_stacking_problem"] = sections["a"].strip()[:3000]
    for label, name in (("b", "training_decoder_inputs"), ("c", "evaluation_decoder_inputs")):
        toks = _tokens(sections.get(label, ""))
        if toks is not None:
            found[name] = toks
    return found
