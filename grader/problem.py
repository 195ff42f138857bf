"""How a problem declares itself: its parts, their points and answer types.

A problem is a package under `problems/` whose `__init__.py` defines
`PROBLEM = Problem(...)` and whose `checks.py` holds `@claim` functions.
The grader finds problems by walking `problems/`; nothing in `grader/` names one.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.errors import ConfigError, did_you_mean

KINDS = ("value", "function", "manual")


@dataclass(frozen=True)
class Part:
    """One gradable answer name of a problem."""

    name: str
    points: float
    answer: str  # the expected answer type, in words, shown to students
    kind: str = "value"  # value | function | manual
    rubric: str = ""  # for manual parts: what a TA looks for
    claim_scale: float = 1.0  # a course config's points over the declared points: each claim's points are scaled
    optional: bool = False  # extra credit: not in the maximum; not attempting it is never a failed check
    shared_points: float = 0.0  # points a course gave a part declared with 0: shared equally by its claims

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ConfigError(f"Part {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}.{did_you_mean(self.kind, KINDS)}")
        if self.points < 0:
            raise ConfigError(f"Part {self.name!r}: points must be >= 0, got {self.points}")


    def claim_points(self, declared: float, claims_in_part: int) -> float:
        """A claim's points in this course, from its declared points and the number of claims of its part."""
        if self.shared_points and claims_in_part:
            return round(self.shared_points / claims_in_part, 6)
        return round(declared * self.claim_scale, 6)


@dataclass(frozen=True)
class Recognize:
    """How a problem's questions are told apart in a chat transcript (case-insensitive regular expressions).

    `topics`: words that name the problem ("principal component", "teacher forcing"); `headings`: titles
    that open its answers in a heading line ("How to train your ResNet", "Question 4"); `parts`: the part
    labels its questions use ("a", "b", "ii"). The engine cuts the assistant's turns into one region per
    problem from these; no problem names another's words.
    """

    topics: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()

    def __post_init__(self):
        for pattern in (*self.topics, *self.headings):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"Recognize: {pattern!r} is not a regular expression ({exc})") from None
        for label in self.parts:
            if not re.fullmatch(r"[a-z0-9]{1,4}", label):
                raise ConfigError(f"Recognize: a part label is a short lowercase label like 'b' or 'ii', got {label!r}")


@dataclass(frozen=True)
class Problem:
    """A homework problem: a name (the answer-contract prefix), a statement and its parts."""

    name: str
    title: str
    parts: tuple[Part, ...]
    statement: str = ""
    needs_torch: bool = False  # whether the sandbox worker may need torch for this problem
    recognize: Recognize | None = None  # how its questions are recognized in a chat (None: not answerable in one)
    package: str = ""  # filled in by discovery: the importable package name
    root: Path | None = field(default=None, compare=False)

    def part(self, name: str) -> Part:
        """The part called `name`; a ConfigError with a suggestion otherwise."""
        for p in self.parts:
            if p.name == name:
                return p
        raise ConfigError(
            f"Problem {self.name!r} has no part {name!r}; its parts are {[p.name for p in self.parts]}."
            + did_you_mean(name, [p.name for p in self.parts])
        )

    @property
    def points(self) -> float:
        """Total points of the problem, without its optional (extra-credit) parts."""
        return sum(p.points for p in self.parts if not p.optional)

    @property
    def extra_points(self) -> float:
        """Points of the problem's optional parts (extra credit, above `points`)."""
        return sum(p.points for p in self.parts if p.optional)

    @property
    def checks_path(self) -> Path:
        """The file holding this problem's claims."""
        assert self.root is not None
        return self.root / "checks.py"


def load_problem(package: str) -> Problem:
    """Import one problem package and return its PROBLEM, with package and root filled in."""
    mod = importlib.import_module(package)
    prob = getattr(mod, "PROBLEM", None)
    if not isinstance(prob, Problem):
        raise ConfigError(f"{package}/__init__.py must define PROBLEM = Problem(...); found {type(prob).__name__}")
    root = Path(mod.__file__).parent
    statement = prob.statement
    if not statement and (root / "statement.md").exists():
        statement = (root / "statement.md").read_text(encoding="utf-8")
    return replace(prob, statement=statement, package=package, root=root)


def discover(root_package: str = "problems") -> tuple[Problem, ...]:
    """Every problem package under `problems/`, sorted by name."""
    pkg = importlib.import_module(root_package)
    found = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.ispkg and not info.name.startswith("_"):
            found.append(load_problem(f"{root_package}.{info.name}"))
    names = [p.name for p in found]
    if len(set(names)) != len(names):
        raise ConfigError(f"Two problems share a name: {names}")
    return tuple(found)


def select(problems: tuple[Problem, ...], names: list[str] | None) -> tuple[Problem, ...]:
    """The problems named in `names` (all when None), with a suggestion for a typo."""
    if not names:
        return problems
    by_name = {p.name: p for p in problems}
    out = []
    for n in names:
        if n not in by_name:
            raise ConfigError(f"No problem called {n!r}; known problems: {sorted(by_name)}." + did_you_mean(n, by_name))
        out.append(by_name[n])
    return tuple(out)
