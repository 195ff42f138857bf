"""Between load and collect, for transcripts: the chat cut into regions, each problem's answers read from its own.

The engine cuts the chat once (`grader.transcripts.regions.split`, from each
problem's `Recognize` declaration); a problem that can be answered in a
transcript has a module `transcript.py` with `extract(region) -> Extraction`.
Every answer an extractor sees is kept with where it was written; when a chat
answers a part more than once, the last answer is graded (a later turn
revises an earlier one, as the user saw it) and the others are shown as
superseded. Extraction is text parsing on the trusted side: nothing in the
transcript is ever run, and only plain data reaches the checks.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import replace

import numpy as np

from grader.errors import ConfigError
from grader.model import Submission
from grader.problem import Problem, discover
from grader.transcripts.marks import PENDING, Mark, Transcript
from grader.transcripts.regions import Extraction, Region, split
from grader.types import short_repr

PLAIN = (str, int, float, bool, type(None))
SHOWN_VALUE = 80  # characters of a superseded answer quoted in a note


def _plain(value, depth: int = 0) -> bool:
    """Whether an extracted value is plain data that a check may receive."""
    if depth > 16:
        return False
    if type(value) in PLAIN:
        return True
    if type(value) in (list, tuple):
        return all(_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _plain(v, depth + 1) for k, v in value.items())
    return type(value) is np.ndarray


def shown(value) -> str:
    """An answer as a note quotes it: strings as written, lists item by item, capped."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(v if isinstance(v, str) else repr(v) for v in value) + "]"
    else:
        text = short_repr(value, SHOWN_VALUE * 2)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_VALUE else text[:SHOWN_VALUE] + " …"


def _extractor(problem: Problem):
    """The problem's transcript module, or None when it cannot be answered in a transcript."""
    name = f"{problem.package}.transcript"
    if problem.recognize is None or importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def _checked(problem: Problem, extraction, module: str) -> Extraction:
    """The extractor's result, refused (a ConfigError for staff) when it is not plain data about the problem's parts."""
    if not isinstance(extraction, Extraction):
        raise ConfigError(f"{module}.extract returned a {type(extraction).__name__}; expected an Extraction")
    parts = {p.name for p in problem.parts}
    for f in extraction.found:
        if f.name not in parts:
            raise ConfigError(f"{module}.extract found an answer for {f.name!r}, which is not a part of "
                              f"{problem.name} (parts: {sorted(parts)})")
        if not _plain(f.value):
            raise ConfigError(f"{module}.extract returned a {type(f.value).__name__} for {f.name!r}; "
                              "only plain data is allowed")
    for name, value in extraction.data:
        if name in parts or not _plain(value):
            raise ConfigError(f"{module}.extract: data {name!r} must be plain data under a name that is not a part")
    for place in extraction.places:
        if not place.key.startswith(problem.name + ":") or place.part not in parts:
            raise ConfigError(f"{module}.extract: place {place.key!r} must be keyed '{problem.name}:...' and name "
                              "one of the problem's parts")
    return extraction


def choose(problem: str, extraction: Extraction, chat) -> tuple[dict, list[Mark], list[str]]:
    """(graded answers, marks, notes): for each name the last answer in the chat is graded, earlier ones superseded."""

    def turn_name(index: int) -> str:
        """A turn as the report names it."""
        return f"turn {chat.number(index)}"

    by_name: dict[str, list] = {}
    for f in sorted(extraction.found, key=lambda f: (f.turn, f.start)):
        by_name.setdefault(f.name, []).append(f)
    graded, marks, notes = {}, [], []
    for name, found in by_name.items():
        last = found[-1]
        graded[name] = last.value
        how = f" ({last.how})" if last.how else ""
        if len(found) == 1:
            marks.append(Mark(last.turn, last.start, last.end, "graded", problem, name, f"graded: read from {last.how or 'here'}"))
            continue
        same = all(f.value == last.value for f in found)
        why = (f"graded: the last of {len(found)} answers in the chat, the same each time" if same else
               f"graded: the last of {len(found)} answers in the chat (a later answer revises an earlier one)")
        marks.append(Mark(last.turn, last.start, last.end, "graded", problem, name, why))
        for f in found[:-1]:
            marks.append(Mark(f.turn, f.start, f.end, "superseded", problem, name,
                              f"superseded by the answer in {turn_name(last.turn)}"))
        if same:
            notes.append(f"{name}: answered {len(found)} times, the same each time; graded the last, in "
                         f"{turn_name(last.turn)}{how}")
        else:
            earlier = "; ".join(f"{turn_name(f.turn)}: {shown(f.value)}" for f in found[:-1])
            notes.append(f"{name}: answered {len(found)} times; graded the last, in {turn_name(last.turn)}{how}: "
                         f"{shown(last.value)} (a later answer revises an earlier one); "
                         f"superseded: {earlier}")
    for place in extraction.places:
        marks.append(Mark(place.turn, place.start, place.end, PENDING, problem, place.part, "", place.key))
    return graded, marks, notes


def extract_answers(sub: Submission, problems: tuple[Problem, ...]) -> Submission:
    """The submission with the answers found in its transcript (unchanged for code submissions)."""
    if sub.kind != "transcript" or sub.chat is None:
        return sub
    chat = sub.chat
    found, notes = {}, [*sub.notes, *chat.notes]
    # Regions come from every problem's declaration, graded or not: grading one problem alone must not hand it
    # the replies about another.
    known = {p.name: p for p in discover()}
    known.update({p.name: p for p in problems})
    regions = split(chat, tuple(known.values()))
    marks: list[Mark] = []
    for problem in problems:
        module = _extractor(problem)
        if module is None:
            notes.append(f"{problem.name}: this problem cannot be answered in a transcript yet; submit answers.py")
            continue
        region = regions.get(problem.name, Region(problem.name))
        if not region.segments:
            notes.append(f"{problem.name}: no answer to it was found in the chat (no reply about "
                         f"{problem.title!r} was recognized)")
            continue
        extraction = _checked(problem, module.extract(region), module.__name__)
        graded, mine, chosen = choose(problem.name, extraction, chat)
        found.update(graded)
        found.update(dict(extraction.data))
        marks += mine
        notes += [f"{problem.name}: {n}" for n in (*extraction.notes, *chosen)]
        names = sorted(graded)
        where = ", ".join(f"turn {chat.number(t)}" for t in region.turns)
        notes.append(f"{problem.name}: found in the chat ({where}): {', '.join(names) if names else 'nothing'}")
    graded = {p.name for p in problems}
    transcript = Transcript(chat.format, chat.turns, tuple(marks),
                            tuple((p, regions[p].turns) for p in regions if regions[p].segments and p in graded))
    return replace(sub, static_answers=tuple(found.items()), notes=tuple(notes), transcript=transcript)
