"""A small graded batch built from the model's dataclasses, for the tests of manual scoring (no grading run)."""
from __future__ import annotations

from pathlib import Path

from grader.model import NOT_ANSWERED, PASSED, PENDING, CheckResult, Outcome, Report
from grader.problem import Part, Problem
from grader.score import score

# 'essay' is one manual claim of 4 points; 'proof' is a manual part of two claims (2 and 4 points).
PROBLEM = Problem("p", "Problem P", (Part("a", 2, "an int"), Part("essay", 4, "free response", kind="manual"),
                                     Part("proof", 6, "free response", kind="manual")))
HEADER = "student,part,max_points,score,comment\n"


def check(part: str, claim: str, points: float, status: str, earned: float = 0.0, message: str = "") -> CheckResult:
    """One check result of problem p."""
    return CheckResult("p", part, claim, f"{claim} holds", points, earned, status, message, "public", 0.25)


def report(student: str, essay: str = PENDING) -> Report:
    """A graded report: part a passed, the manual parts as `essay` says (proof always pending)."""
    checks = (check("a", "a_is_right", 2, PASSED, 2.0),
              check("essay", "essay_is_written", 4, essay, message="" if essay == PENDING else "essay is not answered"),
              check("proof", "proof_step_1", 2, PENDING, message="has 80 words"),
              check("proof", "proof_step_2", 4, PENDING))
    stages = (Outcome("load", None, None, 0.01), Outcome("collect", None, "StudentCrash: boom", 1.5))
    responses = (("p", "proof", f"{student}'s proof: <b>by induction</b> on n"),)
    if essay == PENDING:
        responses = (("p", "essay", f"An essay by {student}."),) + responses
    return Report(student, "grade", "module", checks, score((PROBLEM,), checks), stages, import_error="boom",
                  notes=("answers.py wins",), staff_notes=("look here",), output="hello\n", sandboxed=False,
                  problems=(("p", "Problem P"),), responses=responses)


def batch() -> list[Report]:
    """alice and bob answered everything; carol did not answer the essay."""
    return [report("alice"), report("bob"), report("carol", essay=NOT_ANSWERED)]


def sheet(tmp_path: Path, rows: str, header: str = HEADER) -> Path:
    """A manual_scores.csv holding `header` then `rows`."""
    path = tmp_path / "manual_scores.csv"
    path.write_text(header + rows, encoding="utf-8")
    return path
