"""The grader's own errors (one root), and the faults a submission can cause.

`GraderError` and its subclasses are mistakes of the course staff or the
machine (a bad problem declaration, a missing sandbox). `StudentFault` and its
subclasses are raised while checking an answer and become a failed check with a
message for the student; they are never grader errors.
"""
from __future__ import annotations

import difflib


class GraderError(Exception):
    """Root of every error that is the grader's or the course staff's, not a student's."""


class ConfigError(GraderError):
    """A problem, claim or setting is declared wrongly."""


class SandboxUnavailable(GraderError):
    """The sandbox cannot be started on this machine."""


class ManualScoresError(GraderError):
    """A TA's sheet of manual scores has bad rows; `problems` lists each, with its line."""

    def __init__(self, path, problems: list[str]):
        self.problems = tuple(problems)
        n = len(self.problems)
        super().__init__(f"{path}: {n} bad row{'s' if n != 1 else ''}, so no score was applied:\n"
                         + "\n".join(f"  {p}" for p in self.problems))


def did_you_mean(word: str, choices) -> str:
    """A ' did you mean X?' suffix when a close match exists, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


class StudentFault(Exception):
    """Something about the student's answer that makes a check fail."""

    kind = "wrong"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAnswered(StudentFault):
    """The answer name is not defined by the submission."""

    kind = "not_answered"


class FormatError(StudentFault):
    """The answer exists but has the wrong form (type, shape, syntax): fixable."""

    kind = "format"


class Wrong(StudentFault):
    """The answer is well formed but incorrect."""

    kind = "wrong"

    def __init__(self, message: str = "", *, expected=None, got=None, counterexample: str | None = None):
        parts = [message] if message else []
        if expected is not None:
            parts.append(f"expected: {expected}")
        if got is not None:
            parts.append(f"got: {got}")
        if counterexample:
            # A counterexample of several lines (Python to paste) starts on its own line.
            sep = "\n" if "\n" in counterexample else " "
            parts.append(f"smallest counterexample:{sep}{counterexample}")
        super().__init__("\n".join(parts))
        self.expected, self.got, self.counterexample = expected, got, counterexample


class NearMiss(Wrong):
    """A wrong answer that is close to right (off by a factor, a sign, a transpose): 0 points by default.

    A course config may give a fraction of the check's points for near misses in a part
    (`[partial_credit] "problem.part" = { near_miss = 0.5 }`); the message stays the same.
    """


class Partial(StudentFault):
    """Part of the credit: `fraction` of the claim's points, with a message."""

    kind = "partial"

    def __init__(self, fraction: float, message: str):
        if not 0.0 <= fraction <= 1.0:
            raise ConfigError(f"Partial credit must be within [0, 1], got {fraction}")
        super().__init__(message)
        self.fraction = float(fraction)


class StudentCrash(StudentFault):
    """The student's code raised, hung, or broke a limit while computing the answer."""

    kind = "error"
    timed_out = False  # set when the code ran past its wall-time limit


class SubmissionError(Exception):
    """A submission that cannot be loaded as given (bad zip, invalid notebook, too large).

    Not a grader error: it becomes a report with every part not answered and
    this message at the top.
    """
