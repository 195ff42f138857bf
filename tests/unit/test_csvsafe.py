"""Spreadsheet safety: no cell of a CSV the grader writes starts a formula; the sheet reads back as written."""
import csv

import pytest

from grader.csvsafe import csv_lines, read_cell, safe_cell
from grader.load import student_id
from grader.manual import ManualScore, read_manual_scores, write_sheet
from grader.report import write_grades_csv
from tests.unit.manual_fakes import report

HOSTILE = ["-2+3+cmd|' -C calc'!A0", '=HYPERLINK("http://evil.example","x")', "@SUM(1)", "+1+1", "\tTAB", "\rCR",
           "-2_3_cmd_-C_calc_A0"]

TABLE = [
    ("=1+1", "'=1+1"), ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(1)", "'@SUM(1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("-2_3_cmd_-C_calc_A0", "'-2_3_cmd_-C_calc_A0"),
    ("alice", "alice"), ("a=b", "a=b"), ("'quoted", "'quoted"), ("", ""),
    ("-1.5", "-1.5"), ("-0", "-0"), ("4", "4"), ("pending", "pending"),  # plain numbers cannot be formulas
]


@pytest.mark.parametrize("cell, written", TABLE)
def test_a_cell_that_could_start_a_formula_is_made_text(cell, written):
    assert safe_cell(cell) == written
    assert read_cell(written) == cell


def test_reading_back_leaves_ordinary_quotes_alone():
    assert read_cell("'quoted") == "'quoted" and read_cell("''=1") == "''=1"


def dangerous(cell: str) -> bool:
    return cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not cell.lstrip("-").replace(".", "").isdigit()


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_student_ids_are_text_in_grades_csv_and_the_sheet(tmp_path, name):
    r = report(name)
    write_grades_csv([r], tmp_path / "grades.csv")
    write_sheet([r], tmp_path / "manual_scores.csv")
    for file in ("grades.csv", "manual_scores.csv"):
        rows = list(csv.reader((tmp_path / file).open(newline="", encoding="utf-8")))
        cells = [c for row in rows for c in row]
        assert not any(dangerous(c) for c in cells), (file, cells)
        assert rows[1][0] == safe_cell(name)


@pytest.mark.parametrize("name", [n for n in HOSTILE if not n.startswith(("\t", "\r"))])
def test_a_filled_sheet_is_read_back_for_the_student_as_graded(tmp_path, name):
    """The TA fills in the sheet as written (with the leading '), or a spreadsheet drops the ': both apply."""
    reports = [report(name)]
    path = tmp_path / "manual_scores.csv"
    write_sheet(reports, path)
    rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
    rows[1][3] = "3"
    for student_cell in (rows[1][0], name):
        rows[1][0] = student_cell
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
        assert read_manual_scores(path, reports) == (ManualScore(name, "p", "essay", 3.0, "", 2),)


def test_the_lines_to_paste_are_safe_too():
    assert csv_lines([["-2_3", "p.essay", "4", "", ""], ["bob", "p.proof", "6", "", ""]]) == (
        "'-2_3,p.essay,4,,\nbob,p.proof,6,,")


@pytest.mark.parametrize("folder, student", [
    ("-2+3+cmd|' -C calc'!A0", "-2_3_cmd_-C_calc_A0"), ('=HYPERLINK("x")', "HYPERLINK_x"), ("@SUM(1)", "SUM_1"),
    ("+staff", "staff"), ("__staff", "staff"),
])
def test_student_ids_from_hostile_folders_never_name_the_staff_folder(tmp_path, folder, student):
    assert student_id(tmp_path / folder) == student
    assert not student_id(tmp_path / folder).startswith(("_", "."))
