"""Rosters (Canvas gradebook exports, Gradescope rosters), their matching to submissions, and the LMS CSVs."""
import csv

import pytest

from grader.model import PartScore, Report
from grader.staff import roster as rs
from grader.staff.roster import RosterError, canvas_rows, match, match_rows, parse_roster

CANVAS = ('\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,HW6 (1200),HW7 (1201),Current Score\n'
          '    Points Possible,,,,,10,20,(read only)\n'
          '"Doe, Jane",101,S001,jdoe,Sec 1,9,,90\n'
          '"Roe, Rick",102,S002,rroe,Sec 2,7,,70\n'
          '"=HYPERLINK(""http://evil"",""x"")",103,S003,mallory,Sec 1,,,\n')
GRADESCOPE = ("First Name,Last Name,SID,Email,Role\n"
              "Jane,Doe,S001,Jane.Doe@Uni.edu,Student\n"
              "Rick,Roe,S002,rroe@uni.edu,Student\n")


def report(student, score, pending=0.0):
    parts = (PartScore("p", "auto", 10, score, "passed" if score == 10 else "wrong", "value", ""),
             PartScore("p", "essay", 4, 0.0, "pending" if pending else "wrong", "manual", ""))
    return Report(student, "grade", "module", parts=parts)


def test_a_canvas_export_is_read_without_its_points_possible_row_and_finds_the_hw7_column():
    r = parse_roster(CANVAS, "gradebook.csv")
    assert r.format == "canvas" and [s.name for s in r.students] == ["Doe, Jane", "Roe, Rick",
                                                                      '=HYPERLINK("http://evil","x")']
    assert r.assignment == "HW7 (1201)"
    assert (r.students[0].canvas_id, r.students[0].sis_user_id, r.students[0].sis_login_id, r.students[0].section) == (
        "101", "S001", "jdoe", "Sec 1")


def test_a_gradescope_roster_is_read():
    r = parse_roster(GRADESCOPE)
    assert r.format == "gradescope" and r.assignment == "HW7"
    assert (r.students[0].name, r.students[0].sis_user_id, r.students[0].email) == ("Doe, Jane", "S001",
                                                                                    "Jane.Doe@Uni.edu")


def test_a_roster_of_neither_format_names_the_columns_expected():
    with pytest.raises(RosterError) as info:
        parse_roster("Name,Login\nJane,jdoe\n", "r.csv")
    message = str(info.value)
    assert "expected a Canvas gradebook export (Student, ID, SIS User ID, SIS Login ID, Section)" in message
    assert "or a Gradescope roster (First Name, Last Name, SID, Email)" in message and "got the columns Name, Login" in message


def test_a_misspelt_column_gets_a_suggestion():
    with pytest.raises(RosterError, match="Did you mean 'SIS Loginid'"):
        parse_roster("Student,ID,SIS User ID,SIS Loginid,Section\nx,1,2,3,4\n")


@pytest.mark.parametrize("text, why", [("", "empty file"), ("Student,ID,SIS User ID,SIS Login ID,Section\n", "at least one"),
                                       ("Student,ID,SIS User ID,SIS Login ID,Section\nJane,,,,Sec\n", "line 2")])
def test_unusable_rosters(text, why):
    with pytest.raises(RosterError, match=why):
        parse_roster(text)


def test_two_hw7_columns_need_to_be_told_apart():
    text = "Student,ID,SIS User ID,SIS Login ID,Section,HW7 (1),HW7 redo (2)\nJ,1,2,3,4,,\n"
    with pytest.raises(RosterError, match="--canvas-assignment"):
        parse_roster(text)
    assert parse_roster(text, assignment="HW7 redo (2)").assignment == "HW7 redo (2)"


def test_submissions_match_by_login_email_or_sid_and_the_column_is_recorded():
    canvas = match(parse_roster(CANVAS), ["jdoe", "S002", "stranger"])
    assert [(m.submission, m.column) for m in canvas.matches] == [("jdoe", "SIS Login ID"), ("S002", "SIS User ID"),
                                                                  (None, "")]
    assert canvas.unlisted == ("stranger",)
    # A folder named after an email is made safe by the loader (jane.doe_uni.edu); case does not matter.
    gs = match(parse_roster(GRADESCOPE), ["Jane.Doe_Uni.edu", "s002"])
    assert [(m.submission, gs.roster.column_name(m.column)) for m in gs.matches] == [("Jane.Doe_Uni.edu", "Email"),
                                                                                     ("s002", "SID")]


def test_two_submissions_for_one_student_are_flagged_and_not_exported():
    m = match(parse_roster(CANVAS), ["jdoe", "S001"])
    assert m.matches[0].clash == ("jdoe", "S001")
    rows = canvas_rows(m, [report("jdoe", 10), report("S001", 2)])
    assert rows[2][-1] == ""
    assert any("several submissions match Doe, Jane" in line for line in m.summary())


def test_a_submission_matching_two_roster_rows_is_left_unmatched():
    text = "First Name,Last Name,SID,Email\nA,B,S1,same@x.edu\nC,D,S2,same@x.edu\n"
    m = match(parse_roster(text), ["same_x.edu"])
    assert m.ambiguous == (("same_x.edu", "Email", (2, 3)),) and all(x.submission is None for x in m.matches)
    assert any("matches 2 roster rows by Email" in line for line in m.summary())


def test_grades_canvas_csv_rows():
    m = match(parse_roster(CANVAS), ["jdoe", "rroe"])
    rows = canvas_rows(m, [report("jdoe", 10), report("rroe", 3, pending=4)])
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW7 (1201)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "14"]
    assert rows[2] == ["Doe, Jane", "101", "S001", "jdoe", "Sec 1", "10"]
    assert rows[3][-1] == ""  # manual parts pending: blank, which a Canvas import leaves unchanged
    assert rows[4] == ["\'=HYPERLINK(\"http://evil\",\"x\")", "103", "S003", "mallory", "Sec 1", "0"]  # no submission


def test_the_match_sheet_lists_every_roster_row_and_every_unlisted_submission():
    m = match(parse_roster(CANVAS), ["jdoe", "+cmd|calc"])
    rows = match_rows(m, [report("jdoe", 10), report("+cmd|calc", 1)])
    assert rows[1][2:6] == ["jdoe", "SIS Login ID", "jdoe", "matched"]
    assert rows[2][5] == rs.NO_SUBMISSION
    assert rows[-1][2] == "'+cmd|calc" and rows[-1][5] == "not on the roster"


def test_exports_are_written_from_the_roster_kept_with_the_batch(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(CANVAS, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("student,score,max_score,pending_manual,p.auto,p.essay,status\njdoe,10,14,0,10,0,graded\n")
    rs.keep_roster(path, rs.read_roster(path), out)
    lines = rs.write_exports([report("jdoe", 10)], out)
    canvas = list(csv.reader((out / "grades_canvas.csv").open(encoding="utf-8")))
    assert canvas[0][-1] == "HW7 (1201)" and canvas[2][-1] == "10" and canvas[3][-1] == "0"
    grades = list(csv.DictReader((out / "grades.csv").open()))
    assert [(g["student"], g["score"], g["status"]) for g in grades] == [
        ("jdoe", "10", "graded"), ("rroe", "0", "no submission"), ("mallory", "0", "no submission")]
    assert (out / "_staff" / "roster_matches.csv").is_file()
    assert lines[0].startswith(f"roster {path} (canvas): 1 of 3 student(s) matched to a submission (1 by SIS Login ID)")


def test_a_stopped_batch_writes_no_canvas_export_and_removes_an_earlier_one(tmp_path):
    from grader.staff.views import write_batch_views

    path = tmp_path / "roster.csv"
    path.write_text(CANVAS, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    rs.keep_roster(path, rs.read_roster(path), out)
    write_batch_views([report("jdoe", 10)], out)
    assert (out / "grades_canvas.csv").is_file()
    lines = write_batch_views([report("jdoe", 10)], out, complete=False)  # rroe and mallory were not graded yet
    assert not (out / "grades_canvas.csv").exists() and "stopped" in lines[0]
    assert 'href="grades_canvas.csv"' not in (out / "index.html").read_text() and (out / "summary.html").is_file()
