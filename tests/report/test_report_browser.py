"""report.html and summary.html opened in real headless Chromium."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, need

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """The seq2seq examples graded by the real CLI."""
    out = tmp_path_factory.mktemp("out")
    flags = [] if shutil.which("bwrap") else ["--no-sandbox"]
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(EXAMPLES / "seq2seq_translation"), "--out",
                           str(out), "--problem", "seq2seq_translation", *flags], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def page():
    need("chromium", "report tests in a real browser")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser.new_page()
        browser.close()


def test_report_shows_total_and_one_row_per_part(graded, page):
    results = json.loads((graded / "tokens_swapped" / "results.json").read_text())
    page.goto((graded / "tokens_swapped" / "report.html").as_uri())
    assert page.locator("#score").inner_text() == f"{results['score']:g}"
    assert page.locator("#max-score").inner_text() == f"{results['max_score']:g}"
    rows = page.locator("tr.part-row")
    assert rows.count() == 4
    parts = [rows.nth(i).get_attribute("data-part") for i in range(rows.count())]
    assert parts == ["seq2seq_translation.vertical_stacking_problem", "seq2seq_translation.training_decoder_inputs",
                     "seq2seq_translation.evaluation_decoder_inputs", "seq2seq_translation.decoder_inputs"]
    assert "teacher forcing" in page.locator("#checks").inner_text()
    # Hidden checks reveal only their name and points.
    assert "Hidden check: its details are not shown." in page.locator("#checks").inner_text()
    assert page.locator("#after-due").inner_text() == "This graded report includes after-due-date feedback."
    assert "rubric" not in page.locator("#parts").inner_text().lower()


def test_import_error_is_shown(graded, page):
    page.goto((graded / "import_error" / "report.html").as_uri())
    assert "IndexError" in page.locator("#import-error").inner_text()
    assert page.locator("#score").inner_text() == "0"


def test_summary_lists_every_student_by_total(graded, page):
    page.goto((graded / "summary.html").as_uri())
    students = [p.name for p in (EXAMPLES / "seq2seq_translation").iterdir() if p.is_dir()]
    score = {s: json.loads((graded / s / "results.json").read_text())["score"] for s in students}
    rows = page.locator("tr.student-row")
    assert rows.count() == len(students)
    shown = [rows.nth(i).get_attribute("data-student") for i in range(rows.count())]
    assert shown == sorted(students, key=lambda s: (-score[s], s))


def test_a_ta_score_shows_in_the_report_and_the_summary_after_grader_manual(graded, page, tmp_path):
    """The sheet's score and comment reach the student's page; the summary's total moves by exactly that."""
    out = tmp_path / "out"
    shutil.copytree(graded, out)
    before = json.loads((out / "tokens_swapped" / "results.json").read_text())["score"]
    (out / "_staff" / "manual_scores.csv").write_text(
        "student,part,max_points,score,comment\n"
        "tokens_swapped,seq2seq_translation.vertical_stacking_problem,4,3,Right idea; say why the lengths differ.\n")
    proc = subprocess.run([sys.executable, "-m", "grader", "manual", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    page.goto((out / "tokens_swapped" / "report.html").as_uri())
    assert page.locator("#score").inner_text() == f"{before + 3:g}"
    checks = page.locator("#checks").inner_text()
    assert "Scored by a TA: 3/4" in checks and "Right idea; say why the lengths differ." in checks
    page.goto((out / "summary.html").as_uri())
    row = page.locator("tr.student-row", has_text="tokens_swapped")
    assert f"{before + 3:g}" in row.inner_text()


def test_the_ta_page_shows_each_free_response_as_text(page, tmp_path):
    """manual.html: every student's answer to a free-response part, a hostile one shown as text, not run."""
    subs = tmp_path / "subs"
    shutil.copytree(EXAMPLES / "seq2seq_translation" / "correct", subs / "alice")
    hostile = subs / "mallory"
    hostile.mkdir()
    (hostile / "answers.py").write_text(
        "vertical_stacking_problem = \"<script>document.title='pwned'</script><img src=x onerror=alert(1)> lengths differ\"\n")
    out = tmp_path / "out"
    flags = [] if shutil.which("bwrap") else ["--no-sandbox"]
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--problem",
                           "seq2seq_translation", *flags], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    page.goto((out / "_staff" / "manual.html").as_uri())
    assert page.title() == "HW7 free responses to score"
    question = page.locator('section[data-part="seq2seq_translation.vertical_stacking_problem"]')
    students = question.locator("div.response")
    assert [students.nth(i).get_attribute("data-student") for i in range(students.count())] == ["alice", "mallory"]
    assert "<script>document.title='pwned'</script>" in students.nth(1).locator("pre").inner_text()
    assert page.locator("img").count() == 0
    # The staff page lives in _staff/; its link to a student's report leads to the folder handed back.
    students.nth(0).locator("a").click()
    assert page.title() == "HW7 report: alice" and "/_staff/" not in page.url
    page.goto((out / "mallory" / "report.html").as_uri())
    assert "lengths differ" in page.locator('section.response').inner_text()
    assert page.title() == "HW7 report: mallory"
