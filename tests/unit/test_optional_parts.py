"""Optional parts are extra credit: outside the maximum, never a failed check when not attempted."""
from grader.model import CheckResult, Report
from grader.problem import Part, Problem
from grader.report import console_table, results_json, total_line
from grader.score import settle

PROBLEM = Problem("p", "P", (Part("a", 2, "int"), Part("essay", 3, "text", kind="manual"),
                             Part("bonus", 2, "function", kind="function", optional=True)))


def result(part, status, score, points, message="", visibility="public"):
    return CheckResult("p", part, f"{part}_claim", "claim", points, score, status, message, visibility)


def report(bonus_status, bonus_score, mode="check", a_score=2.0):
    checks = (result("a", "passed" if a_score == 2 else "wrong", a_score, 2.0),
              result("essay", "pending", 0.0, 3.0),
              result("bonus", bonus_status, bonus_score, 2.0, "bonus is not answered (the submission does not define it)"))
    checks, parts = settle((PROBLEM,), checks)
    return Report("s", mode, "module", checks, parts, problems=(("p", "P"),))


def test_an_optional_part_not_attempted_is_optional_and_outside_the_maximum():
    r = report("not_answered", 0.0)
    bonus = next(p for p in r.parts if p.part == "bonus")
    assert (bonus.status, bonus.score, bonus.extra_credit) == ("optional", 0.0, True)
    check = next(c for c in r.checks if c.part == "bonus")
    assert check.status == "optional"
    assert check.message == ("Optional, for extra credit: not attempted, which costs nothing. "
                             "bonus is not answered (the submission does not define it)")
    assert (r.score, r.max_score) == (2.0, 5.0)


def test_an_attempted_optional_part_is_graded_and_adds_above_the_maximum():
    r = report("passed", 2.0)
    bonus = next(p for p in r.parts if p.part == "bonus")
    assert (bonus.status, bonus.score, bonus.extra_credit) == ("passed", 2.0, True)
    assert (r.score, r.max_score) == (4.0, 5.0)
    wrong = report("wrong", 0.0)
    assert next(p for p in wrong.parts if p.part == "bonus").status == "wrong"


def test_a_required_part_not_answered_stays_not_answered():
    problem = Problem("p", "P", (Part("a", 2, "int"),))
    checks, parts = settle((problem,), (result("a", "not_answered", 0.0, 2.0),))
    assert checks[0].status == "not_answered" and parts[0].status == "not_answered" and not parts[0].extra_credit


def test_results_json_keeps_extra_credit_out_of_max_score():
    out = results_json(report("not_answered", 0.0, mode="grade"))
    bonus = next(t for t in out["tests"] if t["name"].startswith("p.bonus:"))
    assert (bonus["score"], bonus["max_score"], bonus["status"]) == (0.0, 0.0, "passed")
    assert bonus["extra_data"] == {"status": "optional", "claim": "bonus_claim", "extra_credit": True,
                                   "extra_credit_points": 2.0}
    assert out["max_score"] == 5.0 == sum(t["max_score"] for t in out["tests"])
    earned = results_json(report("passed", 2.0, mode="grade"))
    assert (earned["score"], earned["max_score"]) == (4.0, 5.0)
    failed = results_json(report("wrong", 0.0, mode="grade"))
    assert next(t for t in failed["tests"] if t["name"].startswith("p.bonus:"))["status"] == "failed"


def test_the_console_names_the_optional_part_and_the_total_explains_itself():
    text = console_table(report("not_answered", 0.0))
    assert "[OPT ] p.bonus: claim  (extra credit 0/2)" in text
    assert "  p.bonus           2 extra  optional, not attempted\n" in text
    assert text.endswith("Public checks: 2/2. Hidden checks and 3 manual points count when your TA grades.")


def test_total_lines():
    assert total_line(report("passed", 2.0)) == ("Public checks: 2/2. Extra credit: +2. Hidden checks and 3 manual "
                                                 "points count when your TA grades.")
    assert total_line(report("not_answered", 0.0, a_score=0.0)) == (
        "Public checks: 0/2. Hidden checks and 3 manual points count when your TA grades.")
    assert total_line(report("passed", 2.0, mode="grade")) == "Total: 4/5 (3 points await manual grading). Extra credit: +2."
    assert total_line(report("not_answered", 0.0, mode="grade")) == "Total: 2/5 (3 points await manual grading)"


def test_problem_points_leave_optional_parts_out():
    assert (PROBLEM.points, PROBLEM.extra_points) == (5, 2)
