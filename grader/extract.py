"""Between load and collect, for transcripts: each problem reads its answers out of the chat text.

A problem that can be answered in a transcript has a module `transcript.py`
with `extract(text) -> dict` (answer name → plain value, plus optionally
`"_notes"`, a list of strings for the report). Extraction is text parsing on
the trusted side: nothing in the transcript is ever run.
"""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import replace

import numpy as np

from grader.errors import ConfigError
from grader.model import Submission
from grader.problem import Problem

PLAIN = (str, int, float, bool, type(None))


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


def extract_answers(sub: Submission, problems: tuple[Problem, ...]) -> Submission:
    """The submission with the answers found in its transcript (unchanged for code submissions)."""
    if sub.kind != "transcript":
        return sub
    found, notes = {}, list(sub.notes)
    for problem in problems:
        name = f"{problem.package}.transcript"
        if importlib.util.find_spec(name) is None:
            notes.append(f"{problem.name}: this problem cannot be answered in a transcript yet; submit answers.py")
            continue
        extracted = dict(importlib.import_module(name).extract(sub.text))
        notes += [f"{problem.name}: {n}" for n in extracted.pop("_notes", [])]
        for key, value in extracted.items():
            if not _plain(value):
                raise ConfigError(f"{name}.extract returned a {type(value).__name__} for {key!r}; only plain data is allowed")
            found[key] = value
        names = sorted(k for k in extracted if not k.startswith("_"))
        notes.append(f"{problem.name}: found in the transcript: {', '.join(names) if names else 'nothing'}")
    return replace(sub, static_answers=tuple(found.items()), notes=tuple(notes))
