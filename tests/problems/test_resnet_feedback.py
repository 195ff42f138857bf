"""What a student reads of the resnet_blog fact checks once graded."""
from grader.pipeline import grade_path
from grader.report import results_json
from tests.conftest import EXAMPLES


def test_a_graded_known_figure_is_named_in_what_the_student_sees():
    """The fact comparisons are not hidden: after the due date the student reads which figure they gave."""
    folder = EXAMPLES / "resnet_blog" / "wrong_34s_without_tta"
    report = grade_path(folder, mode="grade", problems=("resnet_blog",), use_bwrap=False, secret="test-secret")
    tests = {t["extra_data"]["claim"]: t for t in results_json(report)["tests"]}
    final = tests["final_time_is_where_the_series_ended"]
    assert final["visibility"] == "after_due_date" and final["score"] == 0
    assert "34 s is" in final["output"] and "test-time augmentation" in final["output"]
    checked = grade_path(folder, mode="check", problems=("resnet_blog",), use_bwrap=False, secret="test-secret")
    assert "final_time_is_where_the_series_ended" not in {c.claim for c in checked.checks}


def test_the_free_responses_are_kept_for_the_ta_as_written():
    """The essays come back from the sandbox as plain strings and are stored with the report."""
    import ast

    folder = EXAMPLES / "resnet_blog" / "correct_numbers"
    tree = ast.parse((folder / "answers.py").read_text())
    written = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)}
    report = grade_path(folder, mode="grade", problems=("resnet_blog",), use_bwrap=False, secret="test-secret")
    assert report.responses == (("resnet_blog", "learned", written["learned"]),
                                ("resnet_blog", "most_interesting", written["most_interesting"]))
    short = grade_path(EXAMPLES / "resnet_blog" / "nothing_answered", mode="grade", problems=("resnet_blog",),
                       use_bwrap=False, secret="test-secret")
    assert short.responses == ()
