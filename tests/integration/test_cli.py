"""The commands as students, TAs and CI use them."""
import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


from tests.conftest import EXAMPLES

SEQ = EXAMPLES / "seq2seq_translation"


def grader(*args, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, env=env)


def test_check_passes_a_correct_submission_with_careful_wording(bwrap):
    proc = grader("check", str(SEQ / "correct"), "--problem", "seq2seq_translation")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Public checks passed" in proc.stdout and "all passed" not in proc.stdout.lower()
    assert "holds for any sentences" not in proc.stdout  # hidden claims do not run for students


def test_check_fails_with_exit_1_and_says_why(bwrap):
    proc = grader("check", str(SEQ / "tokens_swapped"), "--problem", "seq2seq_translation")
    assert proc.returncode == 1
    assert "teacher forcing" in proc.stdout and "did not pass" in proc.stdout


def test_check_works_without_bubblewrap(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # no bwrap on PATH
    proc = grader("check", str(SEQ / "correct"), "--problem", "seq2seq_translation", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "without the bubblewrap sandbox" in proc.stdout


def test_check_writes_its_html_report_into_a_folder_it_makes(tmp_path):
    page = tmp_path / "reports" / "mine.html"
    proc = grader("check", str(SEQ / "tokens_swapped"), "--problem", "seq2seq_translation", "--no-sandbox",
                  "--html", str(page))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "teacher forcing" in page.read_text(encoding="utf-8")


def test_grade_refuses_without_bubblewrap_and_says_how_to_install(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))
    proc = grader("grade", str(SEQ), "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 2
    assert "apt-get install bubblewrap" in proc.stderr and "--no-sandbox" in proc.stderr
    proc = grader("grade", str(SEQ), "--out", str(tmp_path / "out"), "--no-sandbox", "--problem",
                  "seq2seq_translation", env=env)
    assert proc.returncode == 0 and "WARNING" in proc.stderr


def test_grade_writes_the_contract_files(bwrap, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for name in ("correct", "tokens_swapped", "import_error"):
        shutil.copytree(SEQ / name, batch / name)
    shutil.make_archive(str(batch / "zipped"), "zip", SEQ / "correct")
    (batch / "broken.zip").write_bytes(b"not a zip")
    out = tmp_path / "out"
    proc = grader("grade", str(batch), "--out", str(out), "--problem", "seq2seq_translation")
    assert proc.returncode == 0, proc.stderr
    students = ["broken", "correct", "import_error", "tokens_swapped", "zipped"]
    for s in students:  # each folder can be handed back as it is
        assert sorted(p.name for p in (out / s).iterdir()) == ["report.html", "results.json"]
        assert (out / "_staff" / s / "report.json").is_file()
    assert (out / "summary.html").is_file() and (out / "grades.csv").is_file()
    assert {p.name for p in (out / "_staff").iterdir()} >= {"batch.json", "manual.html", "manual_scores.csv"}
    res = json.loads((out / "correct" / "results.json").read_text())
    assert set(res) >= {"score", "max_score", "tests"}
    for t in res["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed") and t["name"].startswith("seq2seq_translation.")
    part = sum(t["score"] for t in res["tests"] if t["name"].startswith("seq2seq_translation.decoder_inputs:"))
    assert part == 4 and res["score"] == 10 and res["max_score"] == 14
    assert json.loads((out / "zipped" / "results.json").read_text())["score"] == 10
    broken = json.loads((out / "broken" / "results.json").read_text())
    assert broken["score"] == 0 and "not a valid zip archive" in broken["output"]
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [r["student"] for r in rows] == students
    assert rows[1]["seq2seq_translation.vertical_stacking_problem"] == "pending"
    assert rows[1]["score"] == "10" and rows[2]["status"] == "import error"


def test_hidden_check_output_reveals_nothing(bwrap, tmp_path):
    out = tmp_path / "out"
    proc = grader("grade", str(SEQ), "--out", str(out), "--problem", "seq2seq_translation")
    assert proc.returncode == 0
    res = json.loads((out / "tokens_swapped" / "results.json").read_text())
    hidden = [t for t in res["tests"] if t["visibility"] == "after_published"]
    assert hidden and all(t["output"] == "Hidden check: its details are not shown." for t in hidden)


def test_check_without_a_submission_says_how_to_start(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grader", "check"], capture_output=True, text=True, cwd=tmp_path,
                          env=dict(os.environ, PYTHONPATH=str(SEQ.parents[2])))
    assert proc.returncode == 2 and "cp -r submissions/template submissions/mine" in proc.stderr


def test_ta_scores_for_manual_parts_are_applied_and_survive_a_regrade(tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    for name in ("correct_numbers", "word_counts_too_short"):
        shutil.copytree(EXAMPLES / "resnet_blog" / name, batch / name)
    args = ("grade", str(batch), "--out", str(out), "--no-sandbox", "--problem", "resnet_blog")
    assert grader(*args).returncode == 0
    before = {s: json.loads((out / s / "results.json").read_text()) for s in ("correct_numbers", "word_counts_too_short")}
    sheet = out / "_staff" / "manual_scores.csv"
    rows = list(csv.DictReader(sheet.open()))
    students = [(r["student"], r["part"], r["max_points"], r["score"]) for r in rows if not r["student"].startswith("group:")]
    assert sorted(students) == [
        ("correct_numbers", "resnet_blog.learned", "4", ""), ("correct_numbers", "resnet_blog.most_interesting", "4", ""),
        ("word_counts_too_short", "resnet_blog.learned", "4", ""),
        ("word_counts_too_short", "resnet_blog.most_interesting", "4", "")]
    assert all(r["group"] for r in rows) and any(r["student"].startswith("group:") for r in rows)
    row = {(r["student"], r["part"]): r for r in rows}
    row[("correct_numbers", "resnet_blog.learned")].update(score="3", comment="clear; misses why batch norm helps")
    row[("word_counts_too_short", "resnet_blog.most_interesting")]["score"] = "1.5"
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    filled = sheet.read_bytes()

    proc = grader("manual", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "applied 2 TA score(s)" in proc.stdout

    def check_scored():
        after = {s: json.loads((out / s / "results.json").read_text()) for s in before}
        for student, added in (("correct_numbers", 3), ("word_counts_too_short", 1.5)):
            assert after[student]["score"] == before[student]["score"] + added
            assert after[student]["extra_data"]["pending_manual_points"] == before[student]["extra_data"]["pending_manual_points"] - 4
        [learned] = [t for t in after["correct_numbers"]["tests"] if t["name"].startswith("resnet_blog.learned:")]
        assert learned["score"] == 3 and "pending_manual" not in learned["extra_data"]
        assert learned["output"] == "Scored by a TA: 3/4. Comment: clear; misses why batch norm helps"
        grades = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
        assert grades["correct_numbers"]["resnet_blog.learned"] == "3"
        assert grades["correct_numbers"]["resnet_blog.most_interesting"] == "pending"
        assert grades["word_counts_too_short"]["resnet_blog.most_interesting"] == "1.5"
        assert "Scored by a TA: 3/4." in (out / "correct_numbers" / "report.html").read_text()

    check_scored()
    proc = grader(*args)  # re-grading applies the sheet again and never rewrites it
    assert proc.returncode == 0, proc.stderr
    assert "applied 2 TA score(s)" in proc.stdout and sheet.read_bytes() == filled
    check_scored()

    results = (out / "correct_numbers" / "results.json").read_bytes()
    sheet.write_text("student,part,score\ncorrect_numbers,resnet_blog.baseline,3\n")
    proc = grader("manual", str(out))
    assert proc.returncode == 2 and "line 2: expected a manual part" in proc.stderr
    assert (out / "correct_numbers" / "results.json").read_bytes() == results  # nothing written


def test_a_group_score_reaches_every_member_a_students_row_overrides_it_and_a_regrade_keeps_the_groups(tmp_path):
    """Two students hand in the same free response: one group:N row scores both; a third student's row wins."""
    batch, out = tmp_path / "batch", tmp_path / "out"
    for name in ("correct", "eos_appended", "tokens_swapped"):
        shutil.copytree(SEQ / name, batch / name)
    shutil.copytree(SEQ / "correct", batch / "copycat")  # the same answer as correct: the same group
    args = ("grade", str(batch), "--out", str(out), "--no-sandbox", "--problem", "seq2seq_translation")
    assert grader(*args).returncode == 0
    sheet = out / "_staff" / "manual_scores.csv"
    rows = list(csv.DictReader(sheet.open()))
    number = {r["student"]: r["group"] for r in rows}
    assert number["correct"] == number["copycat"] and number[f"group:{number['correct']}"] == number["correct"]
    page = (out / "_staff" / "manual.html").read_text()
    assert f'data-group="{number["correct"]}"' in page and "identical" in page
    group = f"group:{number['correct']}"
    for r in rows:
        if r["student"] == group:
            r.update(score="4", comment="Right problem, with its reason.")
        if r["student"] == "copycat":
            r.update(score="0", comment="Copied.")
    with sheet.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    members = [s for s, n in number.items() if n == number["correct"] and not s.startswith("group:")]
    others = [s for s in number if s not in members and not s.startswith("group:")]
    students = members + others
    before = {s: json.loads((out / s / "results.json").read_text())["score"] for s in students}
    proc = grader("manual", str(out))
    assert proc.returncode == 0, proc.stderr
    assert (f"applied {len(members)} TA score(s) from" in proc.stdout
            and f"({len(members) - 1} through group rows)" in proc.stdout)
    after = {s: json.loads((out / s / "results.json").read_text()) for s in students}
    for s in members:
        scored = 0 if s == "copycat" else 4
        assert after[s]["score"] == before[s] + scored and after[s]["extra_data"]["pending_manual_points"] == 0
        assert ("Comment: Copied." if s == "copycat" else "Comment: Right problem, with its reason.") in json.dumps(after[s])
    for s in others:  # other groups: still pending
        assert after[s]["score"] == before[s] and after[s]["extra_data"]["pending_manual_points"] == 4
    # A regrade with a new student keeps the sheet's groups and places the newcomer.
    shutil.copytree(SEQ / "correct", batch / "latecomer")
    proc = grader(*args)
    assert proc.returncode == 0, proc.stderr
    assert f"latecomer,seq2seq_translation.vertical_stacking_problem,{number['correct']}," in proc.stdout
    late = json.loads((out / "latecomer" / "results.json").read_text())
    assert late["extra_data"]["pending_manual_points"] == 4  # not in the sheet yet: the group's score waits for its row


def test_grade_writes_a_staff_only_similarity_report_linked_from_the_summary(tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    for name in ("correct", "eos_appended", "tokens_swapped"):
        shutil.copytree(SEQ / name, batch / name)
    # A copy of eos_appended with its own names renamed.
    source = (SEQ / "eos_appended" / "answers.py").read_text()
    (batch / "renamer").mkdir()
    (batch / "renamer" / "answers.py").write_text(
        source.replace("(target, generated, training)", "(tgt, gen, train_mode)")
        .replace("target if training else generated", "tgt if train_mode else gen"))
    proc = grader("grade", str(batch), "--out", str(out), "--no-sandbox", "--problem", "seq2seq_translation")
    assert proc.returncode == 0, proc.stderr
    page = out / "_staff" / "similarity.html"
    assert "similarity:" in proc.stdout and str(page) in proc.stdout
    text = page.read_text()
    assert 'data-a="eos_appended" data-b="renamer"' in text  # the same wrong token list, the same code
    assert 'data-part="seq2seq_translation.training_decoder_inputs"' in text
    assert 'href="_staff/similarity.html"' in (out / "summary.html").read_text()
    assert 'href="_staff/similarity.html"' in (out / "index.html").read_text()
    assert [p.relative_to(out).as_posix() for p in out.rglob("similarity*")] == ["_staff/similarity.html"]


def test_manual_without_a_graded_batch_says_what_to_run(tmp_path):
    proc = grader("manual", str(tmp_path))
    assert proc.returncode == 2 and "Run `grader grade SUBMISSIONS --out" in proc.stderr


def test_grade_with_gpu_refuses_where_the_sandbox_cannot_use_one(bwrap, tmp_path):
    """Grading timed GPU parts without a GPU would fail every student for the grader's fault."""
    import glob

    if glob.glob("/dev/nvidia*"):
        pytest.skip("this machine has NVIDIA device nodes")
    out = tmp_path / "out"
    proc = grader("grade", str(SEQ), "--out", str(out), "--gpu", "--problem", "seq2seq_translation")
    assert proc.returncode == 2
    assert "--gpu: this machine has no NVIDIA device nodes" in proc.stderr and "grade without --gpu" in proc.stderr
    assert not out.exists()


FULL = ("pca_autoencoder/correct_plain", "resnet_blog/correct_numbers", "seq2seq_translation/correct",
        "regularized_autoencoder/correct_mean_loss")


def test_check_passes_a_full_correct_submission_without_the_optional_part(tmp_path):
    sub = tmp_path / "mine"
    sub.mkdir()
    (sub / "answers.py").write_text("\n".join((EXAMPLES / f / "answers.py").read_text() for f in FULL))
    assert "def train_fast" not in (sub / "answers.py").read_text()
    proc = grader("check", str(sub))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"\n  resnet_blog\.train_fast +2 extra  optional, not attempted\n", proc.stdout)
    assert "Public checks: 28/28. Hidden checks and 20 manual points count when your TA grades." in proc.stdout
    assert "FAIL" not in proc.stdout


def test_make_check_without_a_submission_says_how_to_start(tmp_path, root):
    shutil.copy(root / "Makefile", tmp_path / "Makefile")  # nothing else: it must not try to install first
    proc = subprocess.run(["make", "--no-print-directory", "check"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode != 0
    assert "there is no submission at submissions/mine" in proc.stderr
    assert "    cp -r submissions/template submissions/mine\n" in proc.stderr
    assert not (tmp_path / ".venv").exists()


def test_the_readme_names_only_files_that_exist(root):
    text = (root / "README.md").read_text()
    named = set(re.findall(r"`((?:[\w.-]+/)*[\w.-]+\.(?:md|py|toml|sh))`", text))
    named |= set(re.findall(r"\]\(([\w./-]+\.md)", text))
    # Files a student makes, or that a chat export names: the README says what they are, not where they lie.
    made_by_students = {"submissions/mine/answers.py", "answers.py", "transcript.md", "transcript.html",
                        "transcript.json"}
    made_by_export = {"setup.sh"}  # in the Gradescope autograder zip, written by grader/staff/gradescope.py
    missing = sorted(n for n in named - made_by_students - made_by_export if not (root / n).exists())
    assert named and not missing, missing


def test_a_zip_with_unsafe_members_is_graded_and_what_was_skipped_is_named(bwrap, tmp_path):
    import zipfile
    batch, out = tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    with zipfile.ZipFile(batch / "oscar.zip", "w") as zf:
        zf.write(SEQ / "correct" / "answers.py", "answers.py")
        info = zipfile.ZipInfo("x")
        info.filename = "../../escaped.py"
        zf.writestr(info, "boom")
        link = zipfile.ZipInfo("secrets")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/shadow")
    proc = grader("grade", str(batch), "--out", str(out), "--problem", "seq2seq_translation")
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "oscar" / "results.json").read_text())
    assert res["score"] == 10
    assert ("oscar.zip: skipped 2 members that would be written outside the submission folder or are links: "
            "'../../escaped.py', 'secrets'. Nothing of them was unpacked; the rest was graded.") in html.unescape(
        res["output"])  # the overall output is escaped HTML
    staff = (out / "_staff" / "oscar" / "staff.txt").read_text()
    assert "load: skipped zip member of oscar.zip '../../escaped.py': its path would land outside" in staff
    assert "load: skipped zip member of oscar.zip 'secrets': a symbolic link to '/etc/shadow'" in staff
    assert "/etc/shadow" not in res["output"]
    import tempfile
    assert not (Path(tempfile.gettempdir()) / "escaped.py").exists()  # where the unpacking scratch's ../.. is


RESNET = EXAMPLES / "resnet_blog"


def test_grade_before_due_scores_after_due_checks_but_withholds_their_feedback(bwrap, tmp_path):
    """A TA can hand reports back before the deadline: the points are there, the after-due feedback is not."""
    batch = tmp_path / "batch"
    shutil.copytree(RESNET / "wrong_34s_without_tta", batch / "wrong_34s_without_tta")
    runs = {}
    for flag in ((), ("--before-due",)):
        out = tmp_path / ("before" if flag else "after")
        proc = grader("grade", str(batch), "--out", str(out), "--problem", "resnet_blog", *flag)
        assert proc.returncode == 0, proc.stderr
        runs[bool(flag)] = out / "wrong_34s_without_tta"
    after, before = (json.loads((runs[b] / "results.json").read_text()) for b in (False, True))
    assert after["score"] == before["score"]
    [late] = [t for t in after["tests"] if t["name"] == "resnet_blog.final: time is where the series ended"]
    [early] = [t for t in before["tests"] if t["name"] == "resnet_blog.final: time is where the series ended"]
    assert late["score"] == early["score"] == 0 and late["visibility"] == "after_due_date"
    assert "test-time augmentation" in late["output"] and "26 s" in late["output"]
    assert early["output"] == "Graded; its feedback is shown after the due date."
    page = (runs[True] / "report.html").read_text()
    assert "does not include after-due-date feedback" in page and "test-time augmentation" not in page
    assert "This graded report includes after-due-date feedback." in (runs[False] / "report.html").read_text()
    staff = (tmp_path / "before" / "_staff" / "wrong_34s_without_tta" / "staff.txt").read_text()
    assert "final['time_s'] is not the final time of the series" in staff  # staff still see what was withheld
    assert "26 s" not in staff  # graded with reveal off: not even the staff copy names the figure


HOSTILE_FOLDERS = ["-2+3+cmd|' -C calc'!A0", '=HYPERLINK("x")', "@SUM(1)", "+1+1"]


def test_hostile_folder_names_are_text_in_every_csv_and_the_sheet_reads_back(tmp_path):
    batch, out = tmp_path / "batch", tmp_path / "out"
    for name in HOSTILE_FOLDERS:
        shutil.copytree(SEQ / "correct", batch / name)
    proc = grader("grade", str(batch), "--out", str(out), "--no-sandbox", "--problem", "seq2seq_translation")
    assert proc.returncode == 0, proc.stderr
    sheet = out / "_staff" / "manual_scores.csv"
    for path in (out / "grades.csv", sheet):
        cells = [c for row in csv.reader(path.open(newline="")) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], (path.name, cells)
    rows = list(csv.DictReader(sheet.open(newline="")))
    [row] = [r for r in rows if "cmd" in r["student"]]
    assert row["student"] == "'-2_3_cmd_-C_calc_A0"  # as a spreadsheet shows it: text
    row["score"] = "2"
    with sheet.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    proc = grader("manual", str(out))
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "-2_3_cmd_-C_calc_A0" / "results.json").read_text())
    assert res["extra_data"]["pending_manual_points"] == 0 and res["score"] == 12


def test_a_sheet_left_where_an_older_grader_put_it_stops_grading_and_manual(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "manual_scores.csv").write_text("student,part,max_points,score,comment\nalice,p.essay,4,3,\n")
    for args in (("grade", str(SEQ), "--out", str(out), "--no-sandbox"), ("manual", str(out))):
        proc = grader(*args)
        assert proc.returncode == 2, proc.stdout
        assert f"expected the TA's sheet at {out / '_staff' / 'manual_scores.csv'}, got one at " in proc.stderr
        assert "mv " in proc.stderr
    assert not (out / "_staff").exists()  # nothing graded, nothing written
