"""The commands as students, TAs and CI use them."""
import csv
import json
import os
import shutil
import subprocess
import sys


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
    for s in students:
        assert (out / s / "results.json").is_file() and (out / s / "report.html").is_file()
    assert (out / "summary.html").is_file()
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
