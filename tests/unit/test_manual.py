"""Manual scoring: report.json round trips, the TA's sheet is checked whole, and applied scores never fail open."""
import csv
import json
from dataclasses import replace

import pytest

from grader.errors import GraderError, ManualScoresError
from grader.manual import ManualScore, apply_manual, read_manual_scores, unlisted_rows, write_sheet
from grader.model import NOT_ANSWERED, PARTIAL, PASSED, PENDING, WRONG
from grader.report import results_json, write_grades_csv
from grader.score import part_status
from grader.store import load_report, load_reports, report_from_json, report_to_json, save_reports
from tests.unit.manual_fakes import HEADER, batch, check, report, sheet


def part(r, name):
    return next(p for p in r.parts if p.part == name)


def checks_of(r, name):
    return [c for c in r.checks if c.part == name]


# report.json


def test_report_json_round_trips_to_an_equal_report(tmp_path):
    reports = batch() + [apply_manual(report("dave"), (ManualScore("dave", "p", "essay", 3, "ok", 2),))]
    save_reports(reports, tmp_path)
    data = json.loads((tmp_path / "_staff" / "alice" / "report.json").read_text())
    assert not (tmp_path / "alice").exists()  # staff only: nothing in the folder handed back
    assert data["format"] == 1 and data["stages"][1] == {"stage": "collect", "error": "StudentCrash: boom",
                                                         "seconds": 1.5}
    loaded = load_reports(tmp_path)
    assert loaded == sorted(reports, key=lambda r: r.student)
    assert loaded[0].problems == (("p", "Problem P"),) and isinstance(loaded[0].checks, tuple)
    assert report_from_json(json.loads(json.dumps(report_to_json(reports[0])))) == reports[0]


def test_only_the_last_batch_is_loaded_in_its_order(tmp_path):
    """A student graded into the same folder by an earlier run is not part of the batch any more."""
    save_reports(batch(), tmp_path)
    stale = tmp_path / "_staff" / "zed" / "report.json"
    stale.parent.mkdir()
    stale.write_text((tmp_path / "_staff" / "alice" / "report.json").read_text())
    later = list(reversed(batch()))
    save_reports(later, tmp_path)
    assert [r.student for r in load_reports(tmp_path)] == [r.student for r in later]
    (tmp_path / "_staff" / later[0].student / "report.json").unlink()
    with pytest.raises(GraderError, match=r"batch.json names 1 student\(s\) without report.json: " + later[0].student):
        load_reports(tmp_path)
    (tmp_path / "_staff" / "batch.json").write_text('{"format": 1, "students": "alice"}')
    with pytest.raises(GraderError, match="expected the batch list written by `grader grade`"):
        load_reports(tmp_path)


@pytest.mark.parametrize("text, why", [
    ("{not json", "JSONDecodeError"),
    ('{"format": 2}', "ValueError: expected format 1, got 2"),
    ('{"format": 1, "student": "x"}', "KeyError"),
    ("[]", "ValueError: expected format 1, got 'list'"),
])
def test_a_corrupt_report_json_is_named(tmp_path, text, why):
    path = tmp_path / "alice" / "report.json"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(GraderError) as info:
        load_report(path)
    assert str(info.value).startswith(f"{path}: expected a report written by `grader grade` (format 1)")
    assert why in str(info.value)


def test_reports_in_the_old_place_are_named_with_what_to_do(tmp_path):
    """A batch graded when report.json sat in the student's folder: say so, and that grading again moves it."""
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "report.json").write_text(json.dumps(report_to_json(batch()[0])))
    with pytest.raises(GraderError, match=r"got 1 in the old place .*alice/report.json.*Grade the batch again"):
        load_reports(tmp_path)


def test_an_out_folder_without_reports_says_what_to_run(tmp_path):
    with pytest.raises(GraderError, match="got none in .* Run `grader grade SUBMISSIONS --out"):
        load_reports(tmp_path)
    with pytest.raises(GraderError, match="which is not a folder"):
        load_reports(tmp_path / "missing")


# the sheet


def test_the_sheet_lists_each_pending_part_with_blank_scores(tmp_path):
    path = tmp_path / "manual_scores.csv"
    write_sheet(batch(), path)
    rows = list(csv.reader(path.open()))
    assert rows == [["student", "part", "max_points", "score", "comment"],
                    ["alice", "p.essay", "4", "", ""], ["alice", "p.proof", "6", "", ""],
                    ["bob", "p.essay", "4", "", ""], ["bob", "p.proof", "6", "", ""],
                    ["carol", "p.proof", "6", "", ""]]  # carol's essay was not answered: nothing to score
    assert read_manual_scores(path, batch()) == ()  # a fresh sheet applies nothing


def test_filled_rows_are_read_blank_ones_skipped(tmp_path):
    path = sheet(tmp_path, 'alice,p.essay,4,3.5,"good,\nbut short"\n\n bob , p.proof ,6,0,\nbob,p.essay,4,,\n'
                           "alice,p.essay,4,3.5,same score twice is fine\n")
    assert read_manual_scores(path, batch()) == (ManualScore("alice", "p", "essay", 3.5, "good,\nbut short", 2),
                                                 ManualScore("bob", "p", "proof", 0.0, "", 5))


def test_a_byte_order_mark_and_a_sheet_without_comments_are_fine(tmp_path):
    path = tmp_path / "manual_scores.csv"
    path.write_text("\ufeffstudent,part,score\nalice,p.essay,4\n", encoding="utf-8")
    assert read_manual_scores(path, batch()) == (ManualScore("alice", "p", "essay", 4.0, "", 2),)


def test_every_bad_row_is_listed_and_nothing_is_returned(tmp_path):
    path = sheet(tmp_path, "alice,p.essay,4,3,\nalicia,p.essay,4,3,\nbob,p.a,2,2,\nbob,p.proof,6,seven,\n")
    with pytest.raises(ManualScoresError) as info:
        read_manual_scores(path, batch())
    assert info.value.problems == (
        "line 3: expected a student of this batch, got 'alicia'. Did you mean 'alice'?",
        "line 4: expected a manual part (p.essay, p.proof), got 'p.a', which is scored automatically.",
        "line 5: expected the score as a number from 0 to 6, got 'seven'.")
    assert str(info.value).startswith(f"{path}: 3 bad rows, so no score was applied:\n  line 3: ")


def test_a_missing_sheet_is_a_grader_error(tmp_path):
    with pytest.raises(GraderError, match="got no such file"):
        read_manual_scores(tmp_path / "none.csv", batch())


def test_a_sheet_not_in_utf8_is_a_grader_error(tmp_path):
    path = tmp_path / "manual_scores.csv"
    path.write_bytes(HEADER.encode() + "alice,p.essay,4,3,très bien\n".encode("cp1252"))
    with pytest.raises(GraderError, match='expected a CSV file in UTF-8, got other bytes .*Save it as "CSV UTF-8"'):
        read_manual_scores(path, batch())


def test_unlisted_rows_are_the_pending_parts_without_a_row(tmp_path):
    path = sheet(tmp_path, "alice,p.essay,4,3,\nalice,p.proof,6,,\n")
    assert unlisted_rows(path, batch()) == [["bob", "p.essay", "4", "", ""], ["bob", "p.proof", "6", "", ""],
                                            ["carol", "p.proof", "6", "", ""]]


# applying


@pytest.mark.parametrize("given, status", [(4, PASSED), (2.5, PARTIAL), (0, WRONG)])
def test_a_ta_score_becomes_the_part_score(given, status):
    r = apply_manual(report("alice"), (ManualScore("alice", "p", "essay", given, "see margin", 2),))
    essay = part(r, "essay")
    assert (essay.score, essay.status, essay.pending) == (given, status, False)
    [c] = checks_of(r, "essay")
    assert (c.score, c.status) == (given, status)
    assert c.message == f"Scored by a TA: {given:g}/4. Comment: see margin"
    assert r.score == 2 + given and r.pending_points == 6  # proof still waits
    assert part(r, "proof").pending and {c.status for c in checks_of(r, "proof")} == {PENDING}


def test_a_score_is_spread_over_the_parts_checks_by_points():
    r = apply_manual(report("alice"), (ManualScore("alice", "p", "proof", 5, "", 3),))
    assert [(c.score, c.status) for c in checks_of(r, "proof")] == [(1.666667, PARTIAL), (3.333333, PARTIAL)]
    assert part(r, "proof").score == 5 and part(r, "proof").status == PARTIAL
    assert checks_of(r, "proof")[0].message == "Scored by a TA: 5/6."
    assert r.score == 7 and r.pending_points == 4


def test_scores_of_other_students_are_not_applied():
    r = report("bob")
    assert apply_manual(r, (ManualScore("alice", "p", "essay", 4, "", 2),)) == r


def test_applying_never_scores_a_part_that_was_not_pending():
    # Past validation (say, a stale sheet applied by hand): a part that was not answered stays at zero.
    r = apply_manual(report("carol", essay=NOT_ANSWERED), (ManualScore("carol", "p", "essay", 4, "", 2),))
    assert part(r, "essay").score == 0 and part(r, "essay").status == NOT_ANSWERED
    assert checks_of(r, "essay")[0].status == NOT_ANSWERED


def test_applying_again_to_the_graded_report_gives_the_same_result():
    scores = (ManualScore("alice", "p", "essay", 3, "", 2),)
    assert apply_manual(report("alice"), scores) == apply_manual(report("alice"), scores)


def test_a_manual_part_is_pending_until_every_check_is_scored():
    scored = check("proof", "proof_step_1", 2, PASSED, 2.0)
    waiting = check("proof", "proof_step_2", 4, PENDING)
    assert part_status("manual", [scored, waiting]) == PENDING
    assert part_status("manual", [scored, replace(waiting, status=PASSED, score=4)]) == PASSED
    assert part_status("manual", [replace(scored, status=NOT_ANSWERED, score=0), scored]) == NOT_ANSWERED


def test_results_json_after_applying_has_no_pending_mark_for_scored_parts(tmp_path):
    path = sheet(tmp_path, "alice,p.essay,4,3,\nalice,p.proof,6,6,\nbob,p.proof,6,1.5,\n")
    reports = batch()
    scores = read_manual_scores(path, reports)
    applied = [apply_manual(r, scores) for r in reports]
    alice, bob = (results_json(r) for r in applied[:2])
    assert not any(t["extra_data"].get("pending_manual") for t in alice["tests"])
    assert alice["score"] == 2 + 3 + 6 == sum(t["score"] for t in alice["tests"])
    assert alice["extra_data"]["pending_manual_points"] == 0
    assert [t["name"] for t in bob["tests"] if t["extra_data"].get("pending_manual")] == ["p.essay: essay_is_written holds"]
    assert bob["score"] == 3.5 == sum(t["score"] for t in bob["tests"])
    assert bob["extra_data"]["pending_manual_points"] == 4
    write_grades_csv(applied, tmp_path / "grades.csv")
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "grades.csv").open())}
    assert (rows["alice"]["p.essay"], rows["alice"]["p.proof"], rows["alice"]["score"]) == ("3", "6", "11")
    assert (rows["bob"]["p.essay"], rows["bob"]["p.proof"], rows["bob"]["pending_manual"]) == ("pending", "1.5", "4")
    assert rows["carol"]["p.proof"] == "pending"


def test_header_only_sheet_is_not_an_error(tmp_path):
    assert read_manual_scores(sheet(tmp_path, "", header=HEADER), batch()) == ()
