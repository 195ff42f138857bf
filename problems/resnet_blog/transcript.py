"""Reading the resnet_blog answers out of this problem's region of a chat (text only; nothing is run).

In each reply about the problem, the facts come from its part-(a) text: the first time and the first
percentage after a "Baseline" label (a time in a sentence naming the baseline
wins, since answers often list several starting figures), and the same after a
"Final" label. The free responses are the long paragraphs of the sections whose
headings mention learning and interest; short lines among them (a student's
remarks between the assistant's paragraphs) are left out. Every answer seen
is reported: a later reply that gives another final time revises the first.
"""
from __future__ import annotations

import re

from grader.transcripts import markdown as md
from grader.transcripts.regions import Extraction, Found, Region, sections
from grader.types import count_words

TIME = re.compile(r"(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?)\b", re.IGNORECASE)
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(%|percent)", re.IGNORECASE)
BASELINE_LABEL = re.compile(r"^\W*(baseline|start(?:ing)?(?: point)?|initial)\b[^\n]*?:", re.IGNORECASE | re.MULTILINE)
FINAL_LABEL = re.compile(r"^\W*(final|end(?:ing)?(?: point)?|result)\b[^\n]*?:", re.IGNORECASE | re.MULTILINE)
ESSAY_MIN_WORDS = 25  # a paragraph shorter than this is a remark, not the answer


def _time_and_accuracy(block: str, prefer: str) -> tuple[dict, int]:
    """({"time_s": "...", "accuracy": "..."} as written, missing keys when absent; where the last one read ends)."""
    found, end = {}, 0
    sentences = [(m.start(), m.group(0)) for m in re.finditer(r"[^\n.!?]*(?:[.!?](?=\s)|[^\n.!?]$|\n|$)", block)]
    preferred = [(at, s) for at, s in sentences if re.search(prefer, s, re.IGNORECASE) and TIME.search(s)]
    if preferred:
        at, sentence = preferred[0]
        m = TIME.search(sentence)
        time_m = (m.group(1), m.group(2), at + m.end())
    else:
        m = TIME.search(block)
        time_m = (m.group(1), m.group(2), m.end()) if m else None
    if time_m:
        found["time_s"] = f"{time_m[0]} {time_m[1]}"
        end = time_m[2]
    pct = PERCENT.search(block)
    if pct:
        found["accuracy"] = f"{pct.group(1)}{'%' if pct.group(2) == '%' else ' percent'}"
        end = max(end, pct.end())
    return found, end


def _labelled_block(text: str, label: re.Pattern, other: re.Pattern) -> tuple[int, int] | None:
    """(start, end) of the text from a label line ("Baseline:") to the next label of the other kind (or the end)."""
    m = label.search(text)
    if not m:
        return None
    end = other.search(text, m.end())
    return m.start(), end.start() if end else len(text)


def _essay(section: str) -> str | None:
    """The long paragraphs of a section, joined; None when there is no text."""
    paragraphs = [md.clean_inline(p) for p in re.split(r"\n\s*\n", section)[1:] if p.strip()]  # [0]: the heading
    long_ones = [p for p in paragraphs if count_words(p) >= ESSAY_MIN_WORDS]
    if long_ones:
        return "\n\n".join(long_ones)
    return max(paragraphs, key=count_words) if paragraphs else None


ESSAYS = (("learned", re.compile(r"learn", re.IGNORECASE)), ("most_interesting", re.compile(r"interest", re.IGNORECASE)))


def extract(region: Region) -> Extraction:
    """Every resnet_blog answer in the region, with where it was written."""
    found = []
    for segment in region.segments:
        text = segment.text
        for name, label, other, prefer in (("baseline", BASELINE_LABEL, FINAL_LABEL, r"baseline"),
                                           ("final", FINAL_LABEL, BASELINE_LABEL, r"final|reduc|achiev")):
            block = _labelled_block(text, label, other)
            if block is None:
                continue
            value, end = _time_and_accuracy(text[block[0]:block[1]], prefer)
            if value:
                found.append(Found.at(name, value, segment, block[0], block[0] + end, f"the {name.title()}: paragraph"))
        seen = set()
        for _, section in sections(segment):
            heading = section.text.split("\n", 1)[0]
            for name, pattern in ESSAYS:
                if name in seen or not pattern.search(heading):
                    continue
                essay = _essay(section.text)
                if essay:
                    seen.add(name)  # the first section of a reply so headed; a later reply may revise it
                    found.append(Found.at(name, essay, section, 0, len(section.text.rstrip()), "its section"))
    return Extraction(found=tuple(found))
