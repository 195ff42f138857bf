"""What `write_outputs` puts where: OUT/<student>/ can be handed back as it is; staff files live in OUT/_staff/."""
import json
from dataclasses import replace

import pytest

from grader.model import PASSED, WRONG, CheckResult
from grader.report import (AFTER_DUE_OUTPUT, HIDDEN_OUTPUT, console_table, render_html, results_json,
                           write_outputs)
from grader.staff.views import write_batch_views
from grader.store import load_reports, report_from_json, save_reports
from tests.unit.manual_fakes import batch

RUBRIC = "Full credit: names the invariant and proves it is kept by every step of the loop."


def with_rubric_and_graded_checks(r, after_due_feedback: bool):
    """A fake report whose essay has a rubric, plus a failed hidden check and a failed after-due check."""
    parts = tuple(replace(p, rubric=RUBRIC) if p.kind == "manual" else p for p in r.parts)
    extra = (CheckResult("p", "a", "a_hidden", "a holds for other inputs", 0, 0, WRONG, "secret input 17 fails",
                         "hidden"),
             CheckResult("p", "a", "a_after_due", "a is the figure", 0, 0, WRONG, "expected: 42", "after_due"),
             CheckResult("p", "a", "a_after_due_ok", "a is read", 0, 0, PASSED, "", "after_due"))
    return replace(r, parts=parts, checks=r.checks + extra, after_due_feedback=after_due_feedback)


@pytest.fixture
def graded(tmp_path):
    reports = [with_rubric_and_graded_checks(r, after_due_feedback=False) for r in batch()]
    save_reports(reports, tmp_path)
    write_outputs(reports, tmp_path)
    write_batch_views(reports, tmp_path)  # the class pages, as `grader grade` writes them next
    return tmp_path, reports


def test_each_student_folder_holds_only_the_handed_back_files(graded):
    out, reports = graded
    for r in reports:
        assert sorted(p.name for p in (out / r.student).iterdir()) == ["report.html", "results.json"]
    assert sorted(p.name for p in out.iterdir()) == ["_staff", "alice", "bob", "carol", "grades.csv", "index.html",
                                                 "summary.html"]
    staff = out / "_staff"
    assert sorted(p.name for p in staff.iterdir()) == ["alice", "batch.json", "bob", "carol", "manual.html"]
    assert sorted(p.name for p in (staff / "alice").iterdir()) == ["report.json", "staff.txt"]


def test_staff_notes_hold_what_students_are_not_shown(graded):
    out, _ = graded
    notes = (out / "_staff" / "alice" / "staff.txt").read_text()
    assert "look here" in notes and "secret input 17 fails" in notes and "expected: 42" in notes
    assert "hello" in notes  # what the submission printed


def test_the_rubric_is_only_on_the_staff_page(graded):
    out, reports = graded
    assert RUBRIC in (out / "_staff" / "manual.html").read_text()
    for r in reports:
        for name in ("report.html", "results.json"):
            assert RUBRIC not in (out / r.student / name).read_text()
        assert RUBRIC not in console_table(r)
    for name in ("summary.html", "index.html", "grades.csv"):
        assert RUBRIC not in (out / name).read_text()


def test_the_staff_page_links_back_to_each_students_report(graded):
    out, _ = graded
    assert 'href="../alice/report.html"' in (out / "_staff" / "manual.html").read_text()
    assert (out / "_staff" / "../alice/report.html").is_file()


@pytest.mark.parametrize("after_due_feedback", [False, True])
def test_after_due_feedback_is_withheld_before_the_due_date(after_due_feedback):
    r = with_rubric_and_graded_checks(batch()[0], after_due_feedback)
    outputs = {t["name"]: t["output"] for t in results_json(r)["tests"]}
    assert outputs["p.a: a holds for other inputs"] == HIDDEN_OUTPUT
    assert outputs["p.a: a is the figure"] == ("expected: 42" if after_due_feedback else AFTER_DUE_OUTPUT)
    assert outputs["p.a: a is read"] == "passed"  # a passed check with nothing to say says nothing withheld
    page, table = render_html(r), console_table(r)
    assert ("expected: 42" in page) is after_due_feedback and ("expected: 42" in table) is after_due_feedback
    assert "secret input 17" not in page + table
    assert results_json(r)["extra_data"]["after_due_feedback"] is after_due_feedback


@pytest.mark.parametrize("mode, after_due_feedback, line", [
    ("grade", True, "This graded report includes after-due-date feedback."),
    ("grade", False, "This graded report does not include after-due-date feedback (graded before the due date)"),
    ("check", False, "Student check: public checks only"),
])
def test_each_report_says_whether_it_includes_after_due_feedback(mode, after_due_feedback, line):
    page = render_html(replace(batch()[0], mode=mode, after_due_feedback=after_due_feedback))
    note = page.split('<p id="after-due"', 1)[1].split("</p>", 1)[0]
    assert line.replace('"', "&#34;") in note
    assert f'data-after-due-feedback="{"yes" if after_due_feedback else "no"}"' in note


def test_regrading_removes_staff_files_an_older_grader_left_in_student_folders(tmp_path):
    reports = batch()
    (tmp_path / "alice").mkdir()
    for name in ("report.json", "staff.txt"):
        (tmp_path / "alice" / name).write_text("old")
    (tmp_path / "_staff" / "bob").mkdir(parents=True)
    (tmp_path / "_staff" / "bob" / "staff.txt").write_text("stale notes from an earlier grading")
    quiet = [replace(r, staff_notes=(), output="") if r.student == "bob" else r for r in reports]
    write_outputs(quiet, tmp_path)
    assert sorted(p.name for p in (tmp_path / "alice").iterdir()) == ["report.html", "results.json"]
    assert not (tmp_path / "_staff" / "bob" / "staff.txt").exists()


def test_a_reloaded_report_keeps_its_after_due_state(tmp_path):
    reports = [with_rubric_and_graded_checks(r, after_due_feedback=True) for r in batch()]
    save_reports(reports, tmp_path)
    assert [r.after_due_feedback for r in load_reports(tmp_path)] == [True, True, True]
    data = json.loads((tmp_path / "_staff" / "alice" / "report.json").read_text())
    del data["after_due_feedback"]  # a report.json from before the field: feedback stays withheld
    assert report_from_json(data).after_due_feedback is False
