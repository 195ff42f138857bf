"""Stage 4, score: check results become part scores."""
from __future__ import annotations

from grader.model import (CHECK_BROKEN, ERROR, FORMAT, NOT_ANSWERED, PASSED, PENDING, WRONG, CheckResult,
                          PartScore)
from grader.problem import Problem

# When a part earned nothing, the status shown is the most telling of its checks' statuses.
PRECEDENCE = (NOT_ANSWERED, FORMAT, ERROR, CHECK_BROKEN, WRONG, "partial")


def part_status(kind: str, checks: list[CheckResult]) -> str:
    """The status of a part from its checks' statuses."""
    statuses = {c.status for c in checks}
    if not checks:
        return CHECK_BROKEN
    if kind == "manual":
        for s in (NOT_ANSWERED, FORMAT, CHECK_BROKEN):
            if s in statuses:
                return s
        return PENDING
    if statuses == {PASSED}:
        return PASSED
    earned = sum(c.score for c in checks)
    if earned > 0:
        return "partial"
    for s in PRECEDENCE:
        if s in statuses:
            return s
    return WRONG


def score(problems: tuple[Problem, ...], results: tuple[CheckResult, ...]) -> tuple[PartScore, ...]:
    """One PartScore per declared part, summing the results of the claims about it.

    The maximum counts only the claims that ran in this mode, so a student's
    public check is out of the public points.
    """
    parts = []
    for problem in problems:
        for part in problem.parts:
            mine = [r for r in results if r.problem == problem.name and r.part == part.name]
            points = sum(r.points for r in mine)
            earned = 0.0 if part.kind == "manual" else sum(r.score for r in mine)
            parts.append(PartScore(problem.name, part.name, round(points, 6), round(earned, 6),
                                   part_status(part.kind, mine), part.kind, part.answer, part.rubric))
    return tuple(parts)


def not_answered_results(problems: tuple[Problem, ...], claims: dict, hidden: bool, why: str) -> tuple[CheckResult, ...]:
    """Zero results for every claim, when the submission could not be loaded at all."""
    out = []
    for problem in problems:
        for fn, c in claims[problem.name]:
            if c.visibility == "hidden" and not hidden:
                continue
            out.append(CheckResult(problem.name, c.part, fn, c.description, c.points, 0.0, NOT_ANSWERED, why,
                                   c.visibility))
    return tuple(out)
