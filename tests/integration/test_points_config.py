"""A course config decides whether near misses earn anything: `grader grade --config` on the grad_factor example."""
import json
import shutil
import subprocess
import sys

from tests.conftest import EXAMPLES

PCA = EXAMPLES / "pca_autoencoder"


def grade(tmp_path, *extra):
    """Grade the grad_factor and grad_transpose examples (pca_autoencoder only); {student: {part: score}}."""
    batch = tmp_path / "batch"
    for name in ("grad_factor", "grad_transpose"):
        shutil.copytree(PCA / name, batch / name)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(batch), "--out", str(out), "--problem",
                           "pca_autoencoder", "--no-sandbox", "--jobs", "1", *extra], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    scores = {}
    for student in ("grad_factor", "grad_transpose"):
        tests = json.loads((out / student / "results.json").read_text())["tests"]
        scores[student] = {part: sum(t["score"] for t in tests if t["name"].startswith(f"pca_autoencoder.{part}:"))
                           for part in ("grad_W1", "grad_W2")}
    return scores


def test_near_misses_earn_nothing_by_default(tmp_path):
    assert grade(tmp_path) == {"grad_factor": {"grad_W1": 0, "grad_W2": 3}, "grad_transpose": {"grad_W1": 0, "grad_W2": 3}}


def test_a_course_can_give_near_misses_half_credit(tmp_path):
    config = tmp_path / "course.toml"
    config.write_text('[partial_credit]\n"pca_autoencoder.grad_W1" = { near_miss = 0.5 }\n')
    assert grade(tmp_path, "--config", str(config)) == {"grad_factor": {"grad_W1": 1.5, "grad_W2": 3},
                                                        "grad_transpose": {"grad_W1": 1.5, "grad_W2": 3}}
