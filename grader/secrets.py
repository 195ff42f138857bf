"""What no student may see before grades are out (accepted answers and rubrics), and a search for it in a text.

Every problem has a reference module, `reference/<problem name>.py` (or a
package), whose `accepted_texts()` returns `{part name: (text, ...)}`: its
accepted answers written out the ways a student may write them ("26 s",
"26 seconds", "0.94", "94%"; a gradient in plain and LaTeX notation; a token
list). Rubrics come from the problems' `Part.rubric`. The leak test greps every
student-facing text for all of these; a later student package is checked
against the same list.

Matching is lenient about what does not change an answer's meaning: case,
spaces, quotes, braces, `\\left`/`\\right`, and commas, semicolons or bars
between tokens. It is strict at the ends of a text: "26 s" is not found in
"126 s", in "0.26 s" or in "26 steps".
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cached_property

from grader.errors import ConfigError, did_you_mean
from grader.problem import Problem

ACCEPTED = "accepted answer"
RUBRIC = "rubric"
RUBRIC_FRAGMENT_WORDS = 6  # a rubric clause this long is distinctive enough to look for on its own


@dataclass(frozen=True)
class Secret:
    """One text that must not reach a student: an accepted answer of a part, or (a clause of) a rubric."""

    problem: str
    part: str
    kind: str  # ACCEPTED or RUBRIC
    text: str

    @property
    def where(self) -> str:
        """'problem.part (kind)', for listings."""
        return f"{self.problem}.{self.part} ({self.kind})"

    @cached_property
    def pattern(self) -> re.Pattern:
        """The regular expression that finds this text in a folded text."""
        return _pattern(fold(self.text))


def reference_module(problem: Problem):
    """The problem's reference module, `reference.<problem name>`; a ConfigError naming what to add otherwise."""
    name = f"reference.{problem.name}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name not in (name, "reference"):
            raise
        raise ConfigError(f"{problem.name}: expected a reference module {name} (reference/{problem.name}.py) "
                          f"defining accepted_texts(), got none. Every problem lists its accepted answers there, "
                          f"so that the leak test covers it (docs/adding-a-problem.md).") from None
    if not callable(getattr(module, "accepted_texts", None)):
        raise ConfigError(f"{name}: expected a function accepted_texts() -> {{part: (text, ...)}}, got none.")
    return module


def accepted_texts(problem: Problem) -> dict[str, tuple[str, ...]]:
    """The problem's accepted answers in plain text, by part, checked to name real parts."""
    texts = reference_module(problem).accepted_texts()
    parts = [p.name for p in problem.parts]
    if type(texts) is not dict:
        raise ConfigError(f"reference.{problem.name}.accepted_texts(): expected a dict {{part: (text, ...)}}, "
                          f"got {type(texts).__name__}")
    for part, values in texts.items():
        if part not in parts:
            raise ConfigError(f"reference.{problem.name}.accepted_texts(): expected parts of {problem.name} "
                              f"({', '.join(parts)}), got {part!r}.{did_you_mean(part, parts)}")
        if type(values) is not tuple or not values or not all(type(v) is str and v.strip() for v in values):
            raise ConfigError(f"reference.{problem.name}.accepted_texts()[{part!r}]: expected a non-empty tuple "
                              f"of non-blank strings, got {values!r:.120}")
    return texts


def rubric_texts(rubric: str) -> tuple[str, ...]:
    """A rubric and each of its clauses long enough to be distinctive (a copied sentence is a leak too)."""
    clauses = [c.strip() for c in re.split(r"(?<=[.;:!?])\s+|\s+\(|\)\s+", rubric)]
    return (rubric.strip(),) + tuple(c for c in clauses if len(c.split()) >= RUBRIC_FRAGMENT_WORDS and c != rubric.strip())


def secrets(problems: tuple[Problem, ...]) -> tuple[Secret, ...]:
    """Every accepted answer and rubric of `problems`, each text once per part."""
    out: dict[tuple[str, str, str], Secret] = {}
    for problem in problems:
        for part, values in accepted_texts(problem).items():
            for text in values:
                out.setdefault((problem.name, part, text), Secret(problem.name, part, ACCEPTED, text))
        for p in problem.parts:
            if p.rubric:
                for text in rubric_texts(p.rubric):
                    out.setdefault((problem.name, p.name, text), Secret(problem.name, p.name, RUBRIC, text))
    return tuple(out.values())


def find_leaks(text: str, among: tuple[Secret, ...]) -> tuple[Secret, ...]:
    """The secrets that occur in `text`."""
    folded = fold(text)
    return tuple(s for s in among if s.pattern.search(folded))


def describe(among: tuple[Secret, ...]) -> str:
    """What is looked for, grouped by part: a count and a few examples each."""
    by: dict[str, list[str]] = {}
    for s in among:
        by.setdefault(s.where, []).append(s.text)
    lines = []
    for where, texts in by.items():
        shown = ", ".join(repr(t if len(t) <= 60 else t[:57] + "...") for t in texts[:4])
        lines.append(f"{where}: {len(texts)} text(s), e.g. {shown}")
    return "\n".join(lines)


# Marks that do not change what an answer says: quotes, braces, LaTeX sizing and spacing, dollar signs.
_DROP = re.compile(r"\\left|\\right|\\[,;!: ]|\\cdot|[\"'`\u2018\u2019\u201c\u201d{}$]")
_SEPARATORS = re.compile(r"[,;|]")


def fold(text: str) -> str:
    """`text` as secrets are matched in it: case-folded, marks dropped, `−` as `-`, `@` as `*`, separators as spaces."""
    text = _SEPARATORS.sub(" ", _DROP.sub("", text.casefold())).replace("\u2212", "-").replace("@", "*")
    return re.sub(r"\s+", " ", text).strip()


def _pattern(needle: str) -> re.Pattern:
    """A pattern for folded `needle`: any spacing between its characters, and whole at both ends."""
    chars = [c for c in needle if not c.isspace()]
    body = r"\s*".join(re.escape(c) for c in chars)
    # Whole at the ends: a word or number is not found inside a longer one ("26" in "126" or "0.26", "s" in "steps").
    before = r"(?<![\w.])" if chars[0].isalnum() else ""
    after = r"(?![\w]|\.\d)" if chars[-1].isalnum() else ""
    return re.compile(before + body + after)
