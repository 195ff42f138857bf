"""Scoring: part statuses and totals from check results; nothing broken or pending ever adds credit."""
from grader.model import CheckResult, Report
from grader.problem import Part, Problem
from grader.score import part_status, score


def result(part, status, score_, points=1.0, problem="p"):
    return CheckResult(problem, part, f"c_{status}", "claim", points, score_, status, "", "public")


def test_statuses():
    assert part_status("value", [result("a", "passed", 1)]) == "passed"
    assert part_status("value", [result("a", "passed", 1), result("a", "wrong", 0)]) == "partial"
    assert part_status("value", [result("a", "wrong", 0), result("a", "format", 0)]) == "format"
    assert part_status("value", [result("a", "not_answered", 0), result("a", "format", 0)]) == "not_answered"
    assert part_status("value", [result("a", "check_broken", 0), result("a", "wrong", 0)]) == "check_broken"
    assert part_status("value", []) == "check_broken"
    assert part_status("manual", [result("a", "pending", 0)]) == "pending"
    assert part_status("manual", [result("a", "not_answered", 0)]) == "not_answered"


def test_totals_and_pending():
    problem = Problem("p", "P", (Part("a", 2, "int"), Part("essay", 3, "text", kind="manual")))
    results = (result("a", "passed", 1), result("a", "partial", 0.5), result("essay", "pending", 0, points=3))
    parts = score((problem,), results)
    report = Report("s", "grade", "module", results, parts)
    assert (report.score, report.max_score, report.pending_points) == (1.5, 5.0, 3.0)


def test_a_manual_part_never_scores_automatically():
    problem = Problem("p", "P", (Part("essay", 3, "text", kind="manual"),))
    # Even if a result claimed points, a manual part earns nothing until a TA scores it.
    parts = score((problem,), (result("essay", "pending", 3, points=3),))
    assert parts[0].score == 0 and parts[0].pending
