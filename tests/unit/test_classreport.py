"""The class report's numbers and groups, from hand-built reports (the pages themselves: tests/report)."""
import re
from dataclasses import replace

import pytest

from grader.model import CheckResult, Metric, Outcome, PartScore, Report
from grader.report import results_json
from grader.staff import classreport as cr
from tests.conftest import check_gradescope_results


def check(part, status, score=0.0, points=2.0, message="", answer="", visibility="public", claim=None, metrics=()):
    return CheckResult("pca", part, claim or f"{part}_check", f"{part} check", points, score, status, message,
                       visibility, 0.0, answer, metrics)


def make(student, checks, load_error=None, import_error=None, kind="module", stages=(), manual=()):
    parts = []
    for part in dict.fromkeys(c.part for c in checks):
        mine = [c for c in checks if c.part == part]
        score = sum(c.score for c in mine)
        statuses = {c.status for c in mine}
        status = "passed" if statuses == {"passed"} else "pending" if "pending" in statuses else (
            "partial" if score else mine[0].status)
        parts.append(PartScore("pca", part, sum(c.points for c in mine), score, status,
                               "manual" if part in manual else "value", ""))
    return Report(student, "grade", kind, tuple(checks), tuple(parts), stages, load_error=load_error,
                  import_error=import_error, problems=(("pca", "PCA"),))


XTX = "2*W2.T*(W2*W1 - I)*X.T*X"


@pytest.fixture
def batch():
    return [
        make("ann", [check("grad", "passed", 2), check("fn", "passed", 2)]),
        make("bob", [check("grad", "format", message="shapes do not fit\nXᵀX where XXᵀ belongs", answer=XTX),
                     check("fn", "wrong", message="pca(X, k=3) with X of shape (7, 14): wrong")]),
        make("cat", [check("grad", "wrong", message="XᵀX where XXᵀ belongs", answer=XTX),
                     check("fn", "wrong", message="pca(X, k=5) with X of shape (9, 11): wrong")]),
        make("dan", [check("grad", "partial", 1, message="off by a factor 2", answer="W2.T*(W2*W1 - I)*X*X.T"),
                     check("fn", "not_answered", message="fn is not answered")]),
    ]


def test_wrong_answers_are_grouped_by_their_normalized_form(batch):
    groups = cr.wrong_groups(batch, ("pca", "grad"))
    assert [(g.answer, g.by_answer, g.count, g.students) for g in groups] == [
        (XTX, True, 2, ("bob", "cat")), ("W2.T*(W2*W1 - I)*X*X.T", True, 1, ("dan",))]
    assert groups[0].message == "shapes do not fit\nXᵀX where XXᵀ belongs"  # what the first of them was told


def test_without_an_answer_the_reason_groups_with_its_random_numbers_blanked(batch):
    """Each student's hidden inputs differ, so the same mistake reads with other numbers."""
    (group,) = cr.wrong_groups(batch, ("pca", "fn"))  # dan did not answer: not a wrong answer
    assert (group.by_answer, group.count, group.students) == (False, 2, ("bob", "cat"))
    assert group.answer == "pca(X, k=3) with X of shape (7, 14): wrong"


def test_a_hidden_check_group_says_students_saw_nothing_of_it():
    batch = [make("a", [check("grad", "wrong", message="secret detail", answer="x", visibility="hidden")])]
    (group,) = cr.wrong_groups(batch, ("pca", "grad"))
    assert group.hidden and group.message == "secret detail"


def test_part_statistics(batch):
    grad, fn = cr.part_stats(batch)
    assert (grad.key, grad.graded, grad.mean, grad.median, grad.pass_rate) == ("pca.grad", 4, 0.75, 0.5, 0.25)
    assert fn.not_answered == 1
    assert "<svg" in grad.plot and 'aria-label="score distribution: pca.grad"' in grad.plot


def test_pending_parts_are_counted_apart_from_the_statistics():
    batch = [make("a", [check("essay", "pending")], manual=("essay",)),
             make("b", [check("essay", "passed", 2)], manual=("essay",))]
    (essay,) = cr.part_stats(batch)
    assert (essay.graded, essay.pending, essay.mean, essay.pass_rate) == (1, 1, 2.0, 1.0)


def test_troubles_name_each_kind_of_failure():
    died = "the submission's process ran out of memory (limit 4 GiB)"
    batch = [make("ok", [check("grad", "passed", 2)]),
             make("unreadable", [check("grad", "not_answered")], load_error="bad.zip is not a valid zip archive",
                  kind="unreadable"),
             make("hog", [check("grad", "error", message=f"pca(X): {died}")]),
             make("hang", [check("grad", "not_answered")], import_error="the submission's process did not finish within 60 s"),
             make("typo", [check("grad", "not_answered")],
                  import_error='answers.py:   File "answers.py", line 1\nNameError: name \'x\' is not defined'),
             make("ours", [check("grad", "check_broken")]),
             make("crash", [check("grad", "check_broken")], kind="grader_error"),
             make("stage", [check("grad", "check_broken")], stages=(Outcome("checks", None, "boom", 0.1),))]
    found = {t.student: (t.what, t.detail) for t in cr.troubles(batch)}
    assert set(found) == {"unreadable", "hog", "hang", "typo", "ours", "crash", "stage"}
    assert found["unreadable"] == ("could not be loaded", "bad.zip is not a valid zip archive")
    assert found["hog"] == ("broke a limit", f"pca.grad: pca(X): {died}")
    assert found["hang"][0] == "broke a limit"
    assert found["typo"] == ("import error", "NameError: name 'x' is not defined")
    assert found["ours"] == ("grader error", "1 check(s) could not run (staff notes say why)")
    assert found["stage"][1].startswith("the grader failed at the checks stage")


def test_the_slowest_submissions_come_first_with_their_stages():
    def timed(student, collect, checks):
        return make(student, [check("grad", "passed", 2)],
                    stages=(Outcome("load", None, None, 0.01), Outcome("collect", None, None, collect),
                            Outcome("checks", None, None, checks)))
    rows = cr.timings([timed("quick", 0.1, 0.2), timed("slow", 3.0, 1.0), timed("mid", 1.0, 0.5)], n=2)
    assert [r.student for r in rows] == ["slow", "mid"]
    assert rows[0].stages == (0.01, 0.0, 3.0, 1.0, 0.0, 0.0) and rows[0].total == pytest.approx(4.01)


def test_the_summary_is_self_contained_with_plots_drawn_by_matplotlib(batch):
    page = cr.render_summary(batch)
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    svgs = re.findall(r"<svg\b[^>]*>", page)
    assert len(svgs) == 1 + 2  # the totals and each part
    assert page.count('<g id="figure_1">') == 3  # matplotlib's SVG backend drew them
    # Several SVGs in one page: the ids their elements refer to (clip paths) never collide.
    clip_ids = re.findall(r'<clipPath id="([^"]+)"', page)
    assert clip_ids and len(clip_ids) == len(set(clip_ids))
    rows = re.findall(r'<tr class="student-row" data-student="([^"]+)"', page)
    assert rows == ["ann", "dan", "bob", "cat"]  # by total, then name


def test_the_summary_escapes_what_students_wrote():
    batch = [make("eve", [check("grad", "wrong", message="<img src=x onerror=alert(1)>", answer="<script>x</script>")])]
    page = cr.render_summary(batch)
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page and "<img src=x" not in page


def test_results_json_numbers_tags_and_the_leaderboard():
    metrics = (Metric("Time (s)", 12.5, "asc"), Metric("Accuracy (%)", 93.0))
    r = make("ann", [check("grad", "passed", 2, claim="a"), check("grad", "wrong", claim="b"),
                     check("fast", "passed", 2, metrics=metrics), check("secret", "passed", 2, visibility="hidden",
                                                                         metrics=(Metric("Hidden", 1.0),))],
             stages=(Outcome("collect", None, None, 1.4), Outcome("checks", None, None, 2.3)))
    results = results_json(r)
    check_gradescope_results(results)
    assert [t["number"] for t in results["tests"]] == ["1.1.1", "1.1.2", "1.2.1", "1.3.1"]
    assert results["tests"][0]["tags"] == ["pca", "pca.grad"]
    assert results["execution_time"] == 4 and results["stdout_visibility"] == "hidden"
    assert results["leaderboard"] == [{"name": "Time (s)", "value": 12.5, "order": "asc"},
                                      {"name": "Accuracy (%)", "value": 93.0, "order": "desc"}]


def test_results_json_output_is_escaped_html():
    r = make("ann", [check("grad", "passed", 2)], import_error='File "<string>", line 1, in <module>')
    results = results_json(r)
    assert results["output_format"] == "html"
    assert "<pre>File &quot;&lt;string&gt;&quot;, line 1, in &lt;module&gt;</pre>" in results["output"]


def test_results_json_with_manual_parts_left_to_gradescope():
    r = make("ann", [check("grad", "passed", 2), check("essay", "pending", points=4)], manual=("essay",))
    assert results_json(r)["max_score"] == 6
    results = results_json(r, manual_elsewhere=True)
    check_gradescope_results(results)
    assert results["max_score"] == 2 and results["score"] == 2
    essay = results["tests"][1]
    assert "score" not in essay and "status" not in essay and "manual grading (4 points" in essay["output"]
    assert "free responses (4 points) are scored by a TA in Gradescope" in results["output"]


def test_the_leaderboard_waits_for_the_due_date_with_an_after_due_checks_feedback():
    late = check("fast", "passed", 2, visibility="after_due", metrics=(Metric("Time (s)", 9.0, "asc"),))
    r = make("ann", [late])
    assert "leaderboard" not in results_json(replace(r, after_due_feedback=False))
    assert results_json(replace(r, after_due_feedback=True))["leaderboard"] == [
        {"name": "Time (s)", "value": 9.0, "order": "asc"}]


def test_results_json_keeps_both_extra_credit_and_gradescope_fields():
    fast = check("fast", "passed", 2, metrics=(Metric("Time (s)", 9.0, "asc"),))
    r = make("ann", [check("grad", "passed", 2), fast])
    r = replace(r, parts=tuple(replace(p, extra_credit=True) if p.part == "fast" else p for p in r.parts))
    results = results_json(r, manual_elsewhere=True)
    check_gradescope_results(results)
    bonus = results["tests"][1]
    assert bonus["max_score"] == 0.0 and bonus["extra_data"]["extra_credit_points"] == 2 and bonus["number"] == "1.2.1"
    assert (results["score"], results["max_score"]) == (4, 2) and results["leaderboard"][0]["value"] == 9.0


def test_a_group_of_an_after_due_check_is_marked_withheld_only_before_the_due_date():
    late = check("grad", "wrong", message="expected 42", answer="41", visibility="after_due")
    before = cr.wrong_groups([replace(make("ann", [late]), after_due_feedback=False)], ("pca", "grad"))
    after = cr.wrong_groups([replace(make("ann", [late]), after_due_feedback=True)], ("pca", "grad"))
    assert before[0].hidden and not after[0].hidden and before[0].message == "expected 42"
