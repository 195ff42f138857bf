"""report.html and summary.html opened in real headless Chromium."""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES


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
def page(browser):
    return browser.new_page()


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
    students = question.locator(".response")
    assert [students.nth(i).get_attribute("data-student") for i in range(students.count())] == ["alice", "mallory"]
    assert "<script>document.title='pwned'</script>" in students.nth(1).locator("pre").text_content()
    assert page.locator("img").count() == 0
    # The staff page lives in _staff/; its link to a student's report leads to the folder handed back.
    students.nth(0).locator("a").click()
    assert page.title() == "HW7 report: alice" and "/_staff/" not in page.url
    page.goto((out / "mallory" / "report.html").as_uri())
    assert "lengths differ" in page.locator('section.response').inner_text()
    assert page.title() == "HW7 report: mallory"


def test_the_ta_page_shows_answer_groups_largest_first_with_each_answer_folded(graded, page):
    """manual.html: groups by size, every answer once and folded until opened, 'no response' listed once at the end."""
    page.goto((graded / "_staff" / "manual.html").as_uri())
    question = page.locator('section[data-part="seq2seq_translation.vertical_stacking_problem"]')
    groups = question.locator("div.group")
    sizes = [groups.nth(i).locator("details.response").count() for i in range(groups.count())]
    assert groups.count() >= 2 and sizes == sorted(sizes, reverse=True) and sizes[0] >= 2
    shown = [question.locator("details.response").nth(i).get_attribute("data-student")
             for i in range(question.locator("details.response").count())]
    sheet = {r["student"]: r["group"] for r in csv.DictReader((graded / "_staff" / "manual_scores.csv").open())}
    assert sorted(shown) == sorted(s for s in sheet if not s.startswith("group:"))  # each answer once
    first = groups.first
    assert f"group:{first.get_attribute('data-group')}," in first.inner_text()  # the sheet row that scores it
    answer = first.locator("details.response").first
    assert not answer.locator("pre").is_visible()
    answer.locator("summary").click()
    assert answer.locator("pre").is_visible() and answer.locator("pre").inner_text().strip()
    nothing = question.locator("p.nothing")
    assert nothing.count() == 1 and "not_answered (no response)" in nothing.inner_text()
    assert question.locator('[data-student="not_answered"]').count() == 0
    assert "Suggestion only" in first.inner_text()
    student = answer.get_attribute("data-student")
    answer.locator("summary a").click()  # the student's name opens their handed-back report
    assert page.url.endswith(f"/{student}/report.html") and page.title() == f"HW7 report: {student}"


def test_the_similarity_page_shows_matched_passages_side_by_side(page, tmp_path):
    from grader.staff.similarity import Source, compare, render
    from tests.unit.similarity_fakes import ALICE, BOB, MALLORY

    report = compare([Source(s, (("answers.py", code),)) for s, code in (("alice", ALICE), ("bob", BOB),
                                                                         ("mallory", MALLORY))])
    path = tmp_path / "similarity.html"
    path.write_text(render(report), encoding="utf-8")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(path.as_uri())
    rows = page.locator("tr.pair-row")
    assert rows.count() == 1 and "alice · mallory" in rows.first.inner_text()
    left, right = page.locator("div.sides").first.locator("div.side").all()
    a, b = left.bounding_box(), right.bounding_box()
    assert abs(a["y"] - b["y"]) < 2 and a["x"] + a["width"] <= b["x"] + 1  # beside each other, not stacked
    assert b["x"] + b["width"] <= 1280  # nothing cut off
    assert left.locator("mark").count() > 0 and right.locator("mark").count() > 0
    assert any("np.linalg.eigh" in t for t in page.locator("div.side mark").all_inner_texts())
