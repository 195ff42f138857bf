"""The values passed between pipeline stages: frozen dataclasses, plain data only."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generic, TypeVar

T = TypeVar("T")

# Status of one check as shown to students and staff.
PASSED, PARTIAL, WRONG, FORMAT, NOT_ANSWERED, ERROR, CHECK_BROKEN, PENDING = (
    "passed", "partial", "wrong", "format", "not_answered", "error", "check_broken", "pending")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A stage's result or its error, with timing (like pytest's CallInfo)."""

    stage: str
    value: T | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether the stage produced a value."""
        return self.error is None

    @classmethod
    def of(cls, stage: str, fn: Callable[[], T], catch: tuple = (Exception,)) -> "Outcome[T]":
        """Run `fn`, turning an exception of the `catch` types into an error outcome."""
        start = time.perf_counter()
        try:
            value = fn()
        except catch as exc:  # the stage failed: keep the message, the batch goes on
            return cls(stage, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start)
        return cls(stage, value, None, time.perf_counter() - start)


@dataclass(frozen=True)
class Submission:
    """A loaded submission: who, where, and the Python source to run in the sandbox.

    `cells` is the code to execute, as (label, source) pairs: one pair for an
    `answers.py`, one per code cell for a notebook. `static_answers` holds
    answers extracted from text (a transcript) that need no code to run.
    """

    student: str
    path: Path  # the folder holding the submission's files (bound read-only in the sandbox)
    kind: str  # module | notebook | transcript | empty
    cells: tuple = ()
    static_answers: tuple = ()  # ((name, plain value), ...)
    notes: tuple = ()  # things the loader dropped or noticed, shown in the report
    text: str = ""  # a transcript's Markdown (never run: answers are extracted from it)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one claim on one submission."""

    problem: str
    part: str
    claim: str  # function name
    description: str
    points: float
    score: float
    status: str
    message: str
    visibility: str
    seconds: float = 0.0

    @property
    def name(self) -> str:
        """The results.json test name: 'problem.part: claim'."""
        return f"{self.problem}.{self.part}: {self.description}"


@dataclass(frozen=True)
class PartScore:
    """A part's total over its checks."""

    problem: str
    part: str
    points: float
    score: float
    status: str  # passed | partial | wrong | format | not_answered | error | pending
    kind: str
    answer: str
    rubric: str = ""

    @property
    def pending(self) -> bool:
        """Whether the part waits for a TA."""
        return self.status == PENDING


@dataclass(frozen=True)
class Report:
    """Everything known about one graded submission."""

    student: str
    mode: str  # "check" (public claims, student) or "grade" (all claims, TA)
    kind: str
    checks: tuple = ()
    parts: tuple = ()
    stages: tuple = ()  # Outcome of each stage (values dropped, errors and timings kept)
    load_error: str | None = None
    import_error: str | None = None
    notes: tuple = ()
    output: str = ""  # what the submission printed (capped)
    sandboxed: bool = True
    problems: tuple = field(default=())  # ((name, title), ...)
    responses: tuple = ()  # ((problem, part, text), ...): the free responses, for the TA who scores them

    @property
    def score(self) -> float:
        """Points earned so far (pending manual parts count zero)."""
        return round(sum(p.score for p in self.parts), 6)

    @property
    def max_score(self) -> float:
        """Points available, manual parts included."""
        return round(sum(p.points for p in self.parts), 6)

    @property
    def pending_points(self) -> float:
        """Points of manual parts still awaiting a TA."""
        return round(sum(p.points for p in self.parts if p.pending), 6)
