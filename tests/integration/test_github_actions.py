"""`grader check` under GitHub Actions: the job summary, annotations on stdout, and the exit status."""
import os
import re
import subprocess
import sys

from tests.conftest import EXAMPLES, ROOT

SEQ = EXAMPLES / "seq2seq_translation"


def check_under_actions(tmp_path, submission, *args):
    summary = tmp_path / "summary.md"
    env = dict(os.environ, GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary), GITHUB_WORKSPACE=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(submission.relative_to(ROOT)), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    return proc, summary.read_text(encoding="utf-8") if summary.exists() else ""


def commands(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("::")]


def test_a_correct_submission_gets_a_table_and_no_error(tmp_path):
    proc, summary = check_under_actions(tmp_path, SEQ / "correct", "--problem", "seq2seq_translation")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert commands(proc.stdout) == []
    rows = [line for line in summary.splitlines() if line.startswith("| `")]
    assert rows == ["| `seq2seq_translation.vertical_stacking_problem` | 📝 awaiting manual grading | 4 (TA) |",
                    "| `seq2seq_translation.training_decoder_inputs` | ✅ passed | 3/3 |",
                    "| `seq2seq_translation.evaluation_decoder_inputs` | ✅ passed | 3/3 |",
                    "| `seq2seq_translation.decoder_inputs` | ✅ passed | 2/2 |"]
    assert "public checks only" in summary and "Public checks: 8/8." in summary


def test_a_wrong_submission_fails_the_job_with_an_annotation_per_failed_part(tmp_path):
    proc, summary = check_under_actions(tmp_path, SEQ / "tokens_swapped", "--problem", "seq2seq_translation")
    assert proc.returncode == 1
    found = commands(proc.stdout)
    answers = "submissions/examples/seq2seq_translation/tokens_swapped/answers.py"
    lines = (ROOT / answers).read_text().splitlines()
    titles = []
    for command in found:
        m = re.match(r"::error file=([^,]+),line=(\d+),title=([^:]+)::(.+)$", command)
        assert m, command
        assert m.group(1) == answers
        part = m.group(3).split("%3A")[0].split(".")[1]
        assert lines[int(m.group(2)) - 1].startswith((part, f"def {part}"))  # the line that defines the answer
        titles.append(m.group(3))
    assert titles == ["seq2seq_translation.training_decoder_inputs%3A wrong (0/3)",
                      "seq2seq_translation.evaluation_decoder_inputs%3A wrong (0/3)",
                      "seq2seq_translation.decoder_inputs%3A wrong (0/2)"]
    assert "| `seq2seq_translation.training_decoder_inputs` | ❌ wrong | 0/3 |" in summary
    assert "What did not pass" in summary


def test_an_import_error_is_annotated_at_its_line(tmp_path):
    proc, summary = check_under_actions(tmp_path, SEQ / "import_error", "--problem", "seq2seq_translation")
    assert proc.returncode == 1
    first = commands(proc.stdout)[0]
    assert first.startswith("::error file=submissions/examples/seq2seq_translation/import_error/answers.py,line=")
    assert "title=Your code raised an error while being imported::" in first
    assert "Your code raised an error while being imported" in summary


def test_outside_actions_nothing_is_printed_for_github(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(SEQ / "tokens_swapped"), "--problem",
                           "seq2seq_translation"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert proc.returncode == 1 and commands(proc.stdout) == []
