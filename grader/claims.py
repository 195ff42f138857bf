"""The `@claim` decorator: marks a pytest function as a graded claim about one part.

A claim is a small pytest function named as a statement about the answer
(`grad_matches_true_gradient`). It takes the fixtures `answers` (the student's
answers, fetched through the sandbox) and, if it wants, `rng` (a generator
seeded per submission and claim), `seed`, `reveal` (may a message name an
accepted answer?) and `pass_note` (call it with a message to show on a pass).
It passes by returning None, and fails by raising one of the faults in
`grader.errors` (`Wrong`, `NearMiss`, `FormatError`, `Partial`, ...); any other
exception, or a return value other than None (`return got == expected`), means
the check itself is broken, which scores zero and is flagged for the staff,
never full credit.

A claim that only checks the form of an answer (its type, shape or syntax) is
worth 0 points: it gates, and the claims that pay raise the same FormatError
when the form is wrong.

A claim may also take pytest's `record_property` fixture to report what it
measured, `record_property("metric", Metric("Time (s)", 12.3, "asc"))` (a
leaderboard column), or the answer as it read it, `record_property("answer",
"2*W2.T*X")` (the class report groups wrong answers by it).
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.errors import ConfigError, FormatError, NotAnswered, Partial, StudentCrash, Wrong  # noqa: F401 (re-exported)
from grader.model import Metric  # noqa: F401 (re-exported: claims record one with pytest's record_property)

# public: runs in `grader check` and in grading, feedback shown.
# hidden: runs only in grading; students see its name and points, never its details.
# after_due: runs only in grading, with its full feedback in the graded report (Gradescope shows it
#   after the due date). For answers a public check would give away, whose feedback still teaches.
VISIBILITIES = ("public", "hidden", "after_due")


@dataclass(frozen=True)
class Claim:
    """What a claim declares: its part, points, visibility and one-line description."""

    part: str
    points: float
    visibility: str
    description: str
    function: str

    @property
    def graded_only(self) -> bool:
        """Whether the claim runs only when a TA grades (not in a student's `grader check`)."""
        return self.visibility != "public"


def claim(part: str, points: float, visibility: str = "public", description: str | None = None):
    """Declare the decorated function a claim about `part` worth `points`.

    `description` is the short claim text shown after `problem.part: ` in the
    results; by default it is the function name with underscores as spaces.
    """
    if visibility not in VISIBILITIES:
        raise ConfigError(f"visibility must be one of {VISIBILITIES}, got {visibility!r}")
    if points < 0:
        raise ConfigError(f"points must be >= 0, got {points}")

    def mark(fn):
        fn.__claim__ = Claim(part, float(points), visibility, description or fn.__name__.replace("_", " "), fn.__name__)
        return fn

    return mark
