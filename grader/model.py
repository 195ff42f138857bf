"""The values passed between pipeline stages: frozen dataclasses, plain data only."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Generic, TypeVar

if TYPE_CHECKING:  # the transcript types are plain frozen dataclasses too; imported for annotations only
    from grader.transcripts.formats import Chat
    from grader.transcripts.marks import Transcript

T = TypeVar("T")


class Status(StrEnum):
    """The status of one check or part, as shown to students and staff (the one vocabulary of the grader)."""

    PASSED = "passed"
    PARTIAL = "partial"
    WRONG = "wrong"
    FORMAT = "format"
    NOT_ANSWERED = "not_answered"
    ERROR = "error"
    CHECK_BROKEN = "check_broken"
    PENDING = "pending"
    OPTIONAL = "optional"  # an extra-credit part the student did not attempt: never a failure


# Module-level names for the members, so that `from grader.model import PASSED` reads as before.
PASSED, PARTIAL, WRONG, FORMAT, NOT_ANSWERED, ERROR, CHECK_BROKEN, PENDING, OPTIONAL = tuple(Status)


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
    staff_notes: tuple = ()  # the same, in the detail staff need (what was skipped and why); never shown to students
    text: str = ""  # a transcript's file as read (never run: answers are extracted from it)
    chat: Chat | None = None  # a transcript's turns, read by grader.transcripts.formats
    transcript: Transcript | None = None  # after extraction: the chat with where each answer was read


@dataclass(frozen=True)
class Metric:
    """A number a claim measured (a time, an accuracy), for a leaderboard; `order` "asc" when smaller is better."""

    name: str
    value: float
    order: str = "desc"

    def __post_init__(self):
        if self.order not in ("asc", "desc"):
            raise ValueError(f"Metric {self.name!r}: order must be 'asc' or 'desc', got {self.order!r}")
        object.__setattr__(self, "value", float(self.value))


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one claim on one submission."""

    problem: str
    part: str
    claim: str  # function name
    description: str
    points: float
    score: float
    status: Status
    message: str
    visibility: str
    seconds: float = 0.0
    answer: str = ""  # the student's answer as the check read it, normalized (for the class report's groups)
    metrics: tuple[Metric, ...] = ()  # what the claim measured, for a leaderboard

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))  # a typo'd status fails here, not in a report
        # report.json gives the metrics back as plain dicts
        object.__setattr__(self, "metrics", tuple(m if isinstance(m, Metric) else Metric(**m) for m in self.metrics))

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
    status: Status
    kind: str
    answer: str
    rubric: str = ""
    extra_credit: bool = False  # optional part: its points are not in max_score

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))

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
    checks: tuple[CheckResult, ...] = ()
    parts: tuple[PartScore, ...] = ()
    stages: tuple[Outcome, ...] = ()  # Outcome of each stage (values dropped, errors and timings kept)
    load_error: str | None = None
    import_error: str | None = None
    notes: tuple[str, ...] = ()  # for the student: what the loader dropped or noticed
    output: str = ""  # what the submission printed (capped)
    sandboxed: bool = True
    problems: tuple[tuple[str, str], ...] = field(default=())  # ((name, title), ...)
    responses: tuple[tuple[str, str, str], ...] = ()  # ((problem, part, text), ...): free responses, for the TA
    staff_notes: tuple[str, ...] = ()  # for course staff only (broken checks, grader failures): never shown to students
    # Whether the after_due checks' feedback is shown: graded without --before-due. False for a student's check,
    # and for a report.json from before this field (its after-due feedback stays withheld).
    after_due_feedback: bool = False

    transcript: Transcript | None = None  # a chat submission: the chat with its answers and checked steps marked

    @property
    def needs_staff(self) -> bool:
        """Whether the grader failed on this submission somewhere (a crash, a failed stage, a broken check)."""
        return (self.kind == "grader_error" or bool(self.grader_failures)
                or any(c.status == Status.CHECK_BROKEN for c in self.checks))

    @property
    def grader_failures(self) -> tuple[Outcome, ...]:
        """The grader's stages that failed (a load failure is the submission's, not the grader's)."""
        return tuple(o for o in self.stages if not o.ok and o.stage != "load")

    @property
    def score(self) -> float:
        """Points earned so far (pending manual parts count zero; extra credit counts)."""
        return round(sum(p.score for p in self.parts), 6)

    @property
    def max_score(self) -> float:
        """Points available, manual parts included, extra-credit parts not."""
        return round(sum(p.points for p in self.parts if not p.extra_credit), 6)

    @property
    def pending_points(self) -> float:
        """Points of manual parts still awaiting a TA."""
        return round(sum(p.points for p in self.parts if p.pending), 6)
