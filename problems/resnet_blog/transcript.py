"""Reading the resnet_blog answers out of a chat transcript (text only; nothing is run).

The facts come from the part-(a) section: the first time and the first
percentage after a "Baseline" label (a time in a sentence naming the baseline
wins, since answers often list several starting figures), and the same after a
"Final" label. The free responses are the long paragraphs of the sections whose
headings mention learning and interest; short lines among them (a student's
remarks between the assistant's paragraphs) are left out.
"""
from __future__ import annotations

import re

from grader import transcript as tx

START = r"how to train your resnet|resnet"
STOPS = [r"machine translation", r"encoder[- ]decoder", r"auto-?encoder", r"\bPCA\b"]
TIME = re.compile(r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?)\b", re.IGNORECASE)
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(%|percent)", re.IGNORECASE)
BASELINE_LABEL = re.compile(r"^\W*(baseline|start(?:ing)?(?: point)?|initial)\b[^\n]*?:", re.IGNORECASE | re.MULTILINE)
FINAL_LABEL = re.compile(r"^\W*(final|end(?:ing)?(?: point)?|result)\b[^\n]*?:", re.IGNORECASE | re.MULTILINE)
ESSAY_MIN_WORDS = 25  # a paragraph shorter than this is a remark, not the answer


def _time_and_accuracy(block: str, prefer: str) -> dict:
    """{"time_s": "...", "accuracy": "..."} from a block of text (as written there); missing keys when absent."""
    found = {}
    sentences = re.split(r"(?<=[.!?])\s+|\n", block)
    preferred = [s for s in sentences if re.search(prefer, s, re.IGNORECASE) and TIME.search(s)]
    time_m = TIME.search(preferred[0]) if preferred else TIME.search(block)
    if time_m:
        found["time_s"] = f"{time_m.group(1)} {time_m.group(2)}"
    pct = PERCENT.search(block)
    if pct:
        found["accuracy"] = f"{pct.group(1)}{'%' if pct.group(2) == '%' else ' percent'}"
    return found


def _labelled_block(text: str, label: re.Pattern, other: re.Pattern) -> str:
    """The text from a label line ("Baseline:") to the next label of the other kind (or the end)."""
    m = label.search(text)
    if not m:
        return ""
    rest = text[m.end():]
    end = other.search(rest)
    return rest[: end.start()] if end else rest


def _essay(section: str) -> str | None:
    """The long paragraphs of a section, joined; None when there is no text."""
    paragraphs = [tx.clean_inline(p) for p in re.split(r"\n\s*\n", section)[1:] if p.strip()]  # [0]: the heading
    long_ones = [p for p in paragraphs if tx.words(p) >= ESSAY_MIN_WORDS]
    if long_ones:
        return "\n\n".join(long_ones)
    return max(paragraphs, key=tx.words) if paragraphs else None


def _section(sections: dict[str, str], heading: str) -> str | None:
    """The section whose heading line matches `heading`."""
    for text in sections.values():
        if re.search(heading, text.split("\n", 1)[0], re.IGNORECASE):
            return text
    return None


def extract(text: str) -> dict:
    """The resnet_blog answers found in the assistant's turns."""
    body = tx.region(tx.assistant_text(text), START, STOPS)
    if not body:
        return {"_notes": ["no ResNet-blog answers found (looked for a section mentioning ResNet)"]}
    found: dict = {}
    baseline = _time_and_accuracy(_labelled_block(body, BASELINE_LABEL, FINAL_LABEL), r"baseline")
    final = _time_and_accuracy(_labelled_block(body, FINAL_LABEL, BASELINE_LABEL), r"final|reduc|achiev")
    if baseline:
        found["baseline"] = baseline
    if final:
        found["final"] = final
    sections = tx.parts(body)
    for name, heading in (("learned", r"learn"), ("most_interesting", r"interest")):
        section = _section(sections, heading)
        essay = _essay(section) if section else None
        if essay:
            found[name] = essay
    return found
