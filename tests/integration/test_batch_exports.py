"""`grader grade` over several folders as one batch, with a roster: the LMS exports and the index page."""
import csv
import json
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES

SEQ = EXAMPLES / "seq2seq_translation"
PCA = EXAMPLES / "pca_autoencoder"


def grader(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True)


@pytest.fixture
def two_problems(tmp_path):
    """Folders named after two problems; both hold a submission called `correct`."""
    seq, pca = tmp_path / "seq2seq_translation", tmp_path / "pca_autoencoder"
    shutil.copytree(SEQ / "correct", seq / "correct")
    shutil.copytree(SEQ / "tokens_swapped", seq / "tokens_swapped")
    shutil.copytree(PCA / "correct_plain", pca / "correct")
    return seq, pca


def test_several_problem_folders_are_one_batch(bwrap, two_problems, tmp_path):
    out = tmp_path / "out"
    proc = grader("grade", *map(str, two_problems), "--per-problem-dirs", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    students = ["seq2seq_translation-correct", "seq2seq_translation-tokens_swapped", "pca_autoencoder-correct"]
    assert json.loads((out / "_staff" / "batch.json").read_text())["students"] == students
    # Each is graded on its folder's problem only.
    assert json.loads((out / "pca_autoencoder-correct" / "results.json").read_text())["max_score"] == 18
    assert json.loads((out / "seq2seq_translation-correct" / "results.json").read_text())["max_score"] == 14
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == students
    assert rows[0]["pca_autoencoder.grad_W1"] == "" and rows[2]["pca_autoencoder.grad_W1"] == "3"
    index = (out / "index.html").read_text()
    assert all(f'href="{s}/report.html"' in index for s in students) and 'href="summary.html"' in index


def test_per_problem_dirs_need_folders_named_after_problems(tmp_path):
    (tmp_path / "pca_autoencodr").mkdir()
    proc = grader("grade", str(tmp_path / "pca_autoencodr"), "--per-problem-dirs", "--out", str(tmp_path / "out"),
                  "--no-sandbox")
    assert proc.returncode == 2 and "Did you mean 'pca_autoencoder'?" in proc.stderr


CANVAS = ("Student,ID,SIS User ID,SIS Login ID,Section,HW7 (5501)\n"
          "    Points Possible,,,,,14\n"
          '"Correct, Carla",11,S11,correct,A,\n'
          '"Swapped, Sam",12,S12,tokens_swapped,B,\n'
          '"=Absent, Abe",13,S13,abe,A,\n')


def test_a_canvas_roster_gives_grades_canvas_csv_and_accounts_for_everyone(bwrap, tmp_path):
    subs = tmp_path / "subs"
    for name in ("correct", "tokens_swapped", "import_error"):
        shutil.copytree(SEQ / name, subs / name)
    roster = tmp_path / "gradebook.csv"
    roster.write_text(CANVAS)
    out = tmp_path / "out"
    proc = grader("grade", str(subs), "--out", str(out), "--problem", "seq2seq_translation", "--roster", str(roster))
    assert proc.returncode == 0, proc.stderr
    assert "2 of 3 student(s) matched to a submission (2 by SIS Login ID)" in proc.stdout
    assert "1 submission(s) are not on the roster (graded, not in grades_canvas.csv): import_error" in proc.stdout
    canvas = list(csv.reader((out / "grades_canvas.csv").open()))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW7 (5501)"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "14"]
    # Both submitted students have a free response pending: blank until a TA scores it. Abe submitted nothing.
    assert [row[-1] for row in canvas[2:]] == ["", "", "0"] and canvas[4][0] == "'=Absent, Abe"
    grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert grades["abe"]["status"] == "no submission" and grades["abe"]["score"] == "0"
    matches = list(csv.DictReader((out / "_staff" / "roster_matches.csv").open()))
    assert [(m["submission"], m["matched_by"], m["status"]) for m in matches] == [
        ("correct", "SIS Login ID", "pending manual"), ("tokens_swapped", "SIS Login ID", "pending manual"),
        ("", "", "no submission"), ("import_error", "", "not on the roster")]
    index = (out / "index.html").read_text()
    assert 'href="grades_canvas.csv"' in index and "not on the roster" in index

    # A TA scores the free responses: `grader manual` rewrites the Canvas export from the kept roster.
    before = {r["student"]: float(r["score"]) for r in csv.DictReader((out / "grades.csv").open())}
    sheet = out / "_staff" / "manual_scores.csv"
    rows = list(csv.DictReader(sheet.open()))
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({**r, "score": "3"})
    proc = grader("manual", str(out))
    assert proc.returncode == 0, proc.stderr
    canvas = list(csv.reader((out / "grades_canvas.csv").open()))
    assert [row[-1] for row in canvas[2:]] == [f"{before['correct'] + 3:g}", f"{before['tokens_swapped'] + 3:g}", "0"]
    assert sum(1 for r in csv.DictReader((out / "grades.csv").open()) if r["student"] == "abe") == 1


def test_a_bad_roster_stops_the_run_before_any_grading(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("Name,Email\nA,a@x\n")
    out = tmp_path / "out"
    proc = grader("grade", str(SEQ), "--out", str(out), "--roster", str(roster), "--no-sandbox")
    assert proc.returncode == 2 and "expected a Canvas gradebook export" in proc.stderr
    assert not out.exists()


def test_index_links_resolve(bwrap, two_problems, tmp_path):
    out = tmp_path / "out"
    assert grader("grade", *map(str, two_problems), "--per-problem-dirs", "--out", str(out)).returncode == 0
    for page in ("index.html", "summary.html"):
        for href in re.findall(r'href="([^"#]+)"', (out / page).read_text()):
            assert (out / href).is_file(), f"{page} links {href}, which does not exist"
