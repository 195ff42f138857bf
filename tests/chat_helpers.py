"""Reading a chat in tests the way the engine does: format → regions → a problem's extractor → the graded answers."""
from __future__ import annotations

import importlib
from functools import lru_cache

from grader.extract import choose
from grader.problem import discover
from grader.transcripts.formats import Chat, read_chat
from grader.transcripts.regions import Region, split
from tests.conftest import ROOT

# The homework's transcript sits in ../shared beside the checkout (two levels up from a worktree of it).
SEED = next((p for p in (ROOT.parent / "shared" / "seeds" / "000_2945ca7109d06edc.txt",
                         ROOT.parent.parent / "shared" / "seeds" / "000_2945ca7109d06edc.txt") if p.is_file()),
            ROOT.parent / "shared" / "seeds" / "000_2945ca7109d06edc.txt")


@lru_cache(maxsize=None)
def problems() -> tuple:
    """Every problem, as the grader discovers them."""
    return discover()


def chat(text: str, name: str = "transcript.md") -> Chat:
    """The chat in `text`."""
    return read_chat(name, text)


def region(text: str, problem: str, name: str = "transcript.md") -> Region:
    """The region of one problem in the chat in `text`."""
    return split(chat(text, name), problems())[problem]


def extraction(text: str, problem: str, name: str = "transcript.md"):
    """What a problem's extractor reads from its region of the chat."""
    pkg = next(p.package for p in problems() if p.name == problem)
    return importlib.import_module(f"{pkg}.transcript").extract(region(text, problem, name))


def answers(text: str, problem: str, name: str = "transcript.md") -> dict:
    """The graded answers (the last of each name), plus "_notes" (revisions) and "_found" (every answer seen)."""
    ex = extraction(text, problem, name)
    graded, _, notes = choose(problem, ex, chat(text, name))
    return {**graded, **dict(ex.data), "_notes": notes, "_found": ex.found}
