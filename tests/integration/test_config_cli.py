"""The course config as TAs and students pass it: --config, --timeout, checked before anyone is graded."""
import json
import subprocess
import sys
import time

from tests.conftest import EXAMPLES

SEQ = EXAMPLES / "seq2seq_translation"


def grader(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True)


def test_a_bad_config_stops_the_batch_before_any_student(tmp_path):
    config = tmp_path / "course.toml"
    config.write_text("[limits]\ntimeout = 10\n")
    out = tmp_path / "out"
    proc = grader("grade", str(SEQ), "--out", str(out), "--no-sandbox", "--config", str(config))
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("[limits] unknown key 'timeout'; expected one of timeout_s, cpu_s, memory_mib, "
                                        "processes, output_mib. Did you mean 'timeout_s'?")
    assert "Traceback" not in proc.stderr and not out.exists()
    proc = grader("check", str(SEQ / "correct"), "--no-sandbox", "--config", str(config))
    assert proc.returncode == 2 and "Did you mean 'timeout_s'?" in proc.stderr


def test_timeout_on_the_command_line_bounds_the_import(tmp_path):
    sub = tmp_path / "batch" / "sleepy"
    sub.mkdir(parents=True)
    (sub / "answers.py").write_text("import time\ntime.sleep(30)\ntraining_decoder_inputs = []\n")
    config = tmp_path / "course.toml"
    config.write_text("[limits]\ntimeout_s = 20\n")
    out = tmp_path / "out"
    start = time.monotonic()
    proc = grader("grade", str(tmp_path / "batch"), "--out", str(out), "--no-sandbox", "--problem",
                  "seq2seq_translation", "--config", str(config), "--timeout", "1")
    assert time.monotonic() - start < 15, "the import waited for the config's 20 s instead of --timeout's 1 s"
    assert proc.returncode == 0, proc.stderr
    res = json.loads((out / "sleepy" / "results.json").read_text())
    assert res["score"] == 0 and "time" in res["output"]
