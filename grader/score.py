"""Stage 4, score: check results become part scores.

An optional part is extra credit: its PartScore is marked `extra_credit` (not in
the report's maximum) and, when the submission does not attempt it, its checks
and the part are OPTIONAL: never a failed check. Attempted, it is graded as any
other part and its points add to the score.
"""
from __future__ import annotations

from dataclasses import replace

from grader.model import (CHECK_BROKEN, ERROR, FORMAT, NOT_ANSWERED, OPTIONAL, PARTIAL, PASSED, PENDING, WRONG,
                          CheckResult, PartScore)
from grader.problem import Problem
from grader.run_checks import claim_points

# When a part earned nothing, the status shown is the most telling of its checks' statuses.
PRECEDENCE = (NOT_ANSWERED, FORMAT, ERROR, CHECK_BROKEN, WRONG, "partial")


def part_status(kind: str, checks: list[CheckResult]) -> str:
    """The status of a part from its checks' statuses."""
    statuses = {c.status for c in checks}
    if not checks:
        return CHECK_BROKEN
    if statuses == {OPTIONAL}:
        return OPTIONAL
    if kind == "manual":
        # Still pending while any check waits for a TA; once a TA scored them all, the usual rule below applies.
        for s in (NOT_ANSWERED, FORMAT, CHECK_BROKEN, PENDING):
            if s in statuses:
                return s
    if statuses == {PASSED}:
        return PASSED
    earned = sum(c.score for c in checks)
    if earned > 0:
        return "partial"
    for s in PRECEDENCE:
        if s in statuses:
            return s
    return WRONG


def part_total(kind: str, checks: list[CheckResult]) -> tuple[float, str]:
    """(points earned, status) of a part; a manual part earns only what a TA scored."""
    status = part_status(kind, checks)
    if kind == "manual" and status not in (PASSED, PARTIAL, WRONG):
        return 0.0, status
    return round(sum(c.score for c in checks), 6), status


def score(problems: tuple[Problem, ...], results: tuple[CheckResult, ...]) -> tuple[PartScore, ...]:
    """One PartScore per declared part, summing the results of the claims about it.

    The maximum counts only the claims that ran in this mode, so a student's
    public check is out of the public points.
    """
    parts = []
    for problem in problems:
        for part in problem.parts:
            mine = [r for r in results if r.problem == problem.name and r.part == part.name]
            earned, status = part_total(part.kind, mine)
            parts.append(PartScore(problem.name, part.name, round(sum(r.points for r in mine), 6), earned, status,
                                   part.kind, part.answer, part.rubric, extra_credit=part.optional))
    return tuple(parts)


def optional_not_attempted(problems: tuple[Problem, ...], results: tuple[CheckResult, ...]) -> tuple[CheckResult, ...]:
    """The results with the checks of each optional part that the submission does not attempt marked OPTIONAL.

    Not attempted means every check of the part found its answer missing (the name is not defined).
    """
    optional = {(p.name, part.name) for p in problems for part in p.parts if part.optional}
    skipped = set()
    for key in optional:
        mine = [r for r in results if (r.problem, r.part) == key]
        if mine and all(r.status == NOT_ANSWERED for r in mine):
            skipped.add(key)
    return tuple(replace(r, status=OPTIONAL, score=0.0,
                         message=f"Optional, for extra credit: not attempted, which costs nothing. {r.message}")
                 if (r.problem, r.part) in skipped else r for r in results)


def settle(problems: tuple[Problem, ...], results: tuple[CheckResult, ...]) -> tuple[tuple[CheckResult, ...], tuple[PartScore, ...]]:
    """(results, part scores): optional parts not attempted marked as such, then every part scored."""
    results = optional_not_attempted(problems, results)
    return results, score(problems, results)


def not_answered_results(problems: tuple[Problem, ...], claims: dict, hidden: bool, why: str) -> tuple[CheckResult, ...]:
    """Zero results for every claim, when the submission could not be loaded at all."""
    out = []
    for problem in problems:
        for fn, c in claims[problem.name]:
            if c.graded_only and not hidden:
                continue
            points = claim_points(problem, c)
            out.append(CheckResult(problem.name, c.part, fn, c.description, points, 0.0, NOT_ANSWERED, why,
                                   c.visibility))
    return tuple(out)
