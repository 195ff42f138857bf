"""The Gradescope autograder zip: its layout, setup.sh, and run_autograder run against a temporary AUTOGRADER_ROOT.

run_autograder runs with the test's own Python (HW7_AUTOGRADER_PYTHON) instead of the venv that setup.sh
builds on Gradescope; setup.sh itself runs with stand-ins for apt-get and python3.11 that record what it asks.
Every results.json is checked against the JSON Schema written from Gradescope's specification.
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, check_gradescope_results

SECRET = "course-secret-for-tests"
PCA = EXAMPLES / "pca_autoencoder"


def export(target: Path, *flags: str, secret: str | None = SECRET) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HW7_GRADER_SECRET"}
    if secret is not None:
        env["HW7_GRADER_SECRET"] = secret
    return subprocess.run([sys.executable, "-m", "grader", "export", "gradescope", str(target), *flags],
                          capture_output=True, text=True, env=env)


@pytest.fixture(scope="module")
def pca_zip(tmp_path_factory) -> Path:
    """An autograder zip for the PCA problem alone (quick to grade)."""
    target = tmp_path_factory.mktemp("zip") / "autograder.zip"
    proc = export(target, "--problem", "pca_autoencoder")
    assert proc.returncode == 0, proc.stderr
    return target


def make_root(tmp_path: Path, zip_path: Path, submission: Path | None, users=(4242,), name: str = "root") -> Path:
    """An AUTOGRADER_ROOT as Gradescope lays it out: source/ (the zip), submission/, submission_metadata.json."""
    root = tmp_path / name
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    if submission is not None:
        shutil.copytree(submission, root / "submission")
    if users is not None:
        meta = {"id": 777, "created_at": "2026-07-01T14:22:32.365935-07:00", "assignment": {"title": "HW7"},
                "users": [{"email": f"u{u}@example.edu", "id": u, "name": f"User {u}"} for u in users]}
        (root / "submission_metadata.json").write_text(json.dumps(meta))
    return root


def run_autograder(root: Path, python: str = sys.executable, path: str | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """Run the zip's run_autograder in `root`; (the process, results.json checked against the schema)."""
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "HW7_AUTOGRADER_PYTHON": python}
    if path is not None:
        env["PATH"] = path
    proc = subprocess.run(["/bin/bash", str(root / "source" / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    check_gradescope_results(results)
    return proc, results


def part_scores(results: dict) -> dict:
    """{part: points} summed over the tests tagged with it (manual parts, which carry no score, left out)."""
    out = {}
    for t in results["tests"]:
        if "score" in t:
            part = t["tags"][1].split(".", 1)[1]
            out[part] = out.get(part, 0) + t["score"]
    return out


def test_the_zip_holds_setup_run_autograder_and_the_staff_only_sources(pca_zip):
    with zipfile.ZipFile(pca_zip) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        settings = json.loads(zf.read("autograder.json"))
        requirements = zf.read("requirements.txt").decode().split()
    assert {"setup.sh", "run_autograder", "autograder.json", "requirements.txt"} <= names
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, f"{script} is not executable"
    # The hidden checks and the references travel (the zip is staff-only), caches do not.
    assert {"problems/pca_autoencoder/checks.py", "problems/pca_autoencoder/matexpr.lark", "reference/pca_autoencoder.py",
            "grader/staff/autograder.py", "grader/templates/report.html.j2"} <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert settings == {"format": 1, "secret": SECRET, "problems": ["pca_autoencoder"], "before_due": True, "course": None}
    assert "numpy>=1.26" in requirements and not any(r.startswith("torch") for r in requirements)


def test_both_scripts_are_valid_bash(pca_zip, tmp_path):
    with zipfile.ZipFile(pca_zip) as zf:
        zf.extractall(tmp_path)
    for script in ("setup.sh", "run_autograder"):
        proc = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr


def test_export_refuses_without_the_course_secret(tmp_path):
    proc = export(tmp_path / "a.zip", secret=None)
    assert proc.returncode == 2 and "HW7_GRADER_SECRET is not set" in proc.stderr
    assert not (tmp_path / "a.zip").exists()


def test_export_lists_the_parts_to_grade_by_hand_in_gradescope(tmp_path):
    proc = export(tmp_path / "a.zip", "--problem", "pca_autoencoder")
    assert proc.returncode == 0, proc.stderr
    assert "The autograder scores 14 points" in proc.stdout and re.search(r"pca_autoencoder\.pca_argument\s+4 points",
                                                                           proc.stdout)


STUBS = {
    "apt-get": 'echo "apt-get $*" >> "$LOG"\n',
    "python3.11": 'echo "python3.11 $*" >> "$LOG"\n'
                  'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; cp "$STUBS/venv-python" "$3/bin/python"; fi\n',
    "venv-python": 'echo "venv-python $*" >> "$LOG"\n'
                   'case "$*" in *--self-test*) exit 1;; esac\n',
}


def test_setup_sh_installs_python_bubblewrap_and_a_venv_under_autograder_root(pca_zip, tmp_path):
    """setup.sh with stand-ins for apt-get and python3.11: what it installs, and where."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, body in STUBS.items():
        (stubs / name).write_text("#!/bin/bash\n" + body)
        (stubs / name).chmod(0o755)
    root = make_root(tmp_path, pca_zip, None, users=None)
    log = tmp_path / "log"
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "LOG": str(log), "STUBS": str(stubs),
           "PATH": f"{stubs}:/usr/bin:/bin"}
    proc = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    calls = log.read_text().splitlines()
    install = next(c for c in calls if c.startswith("apt-get install"))
    assert {"python3.11", "python3.11-venv", "bubblewrap"} <= set(install.split())
    assert f"python3.11 -m venv {root}/venv" in calls
    assert any("torch==2.13.0" in c and "download.pytorch.org/whl/cpu" in c for c in calls)
    assert f"venv-python -m pip install -q -r {root}/source/requirements.txt" in calls
    # The stand-in sandbox fails its self-test: the build log says what that means.
    assert "--self-test" in calls[-1] and "every" in proc.stderr and "submission 0" in proc.stderr


@pytest.mark.usefixtures("bwrap")
def test_a_correct_submission_scores_as_in_its_expected_json(pca_zip, tmp_path):
    root = make_root(tmp_path, pca_zip, PCA / "correct_plain")
    proc, results = run_autograder(root)
    expected = json.loads((PCA / "correct_plain" / "expected.json").read_text())["parts"]
    scores = part_scores(results)
    assert {k: scores.get(k) for k, v in expected.items() if v != "pending"} == {
        k: v for k, v in expected.items() if v != "pending"}
    assert all(v == 0 for k, v in scores.items() if k not in expected)  # 0-point parts (derivations of a chat)
    # The free response is Gradescope's to grade by hand: a test without points, out of the autograder's max.
    manual = [t for t in results["tests"] if "pca_argument" in t["tags"][1]]
    assert manual and all("score" not in t and "manual grading" in t["output"] for t in manual)
    assert results["score"] == results["max_score"] == 14
    assert results["extra_data"]["student"] == "4242" and results["extra_data"]["gradescope_submission_id"] == 777
    assert results["stdout_visibility"] == "hidden" and results["output_format"] == "html"
    assert "score 14 / 14" in proc.stdout
    numbers = [t["number"] for t in results["tests"]]
    assert numbers[0] == "1.1.1" and len(set(numbers)) == len(numbers)


@pytest.mark.usefixtures("bwrap")
def test_hidden_inputs_follow_the_gradescope_user_id(pca_zip, tmp_path):
    """pca_not_top_k's message names the eigenvalues of its random X: per user, never per folder name."""
    def pca_outputs(users, name):
        _, results = run_autograder(make_root(tmp_path, pca_zip, PCA / "pca_not_top_k", users, name))
        return [t["output"] for t in results["tests"] if "pca_weights" in t["tags"][1]]

    alice, alice_again, bob = pca_outputs((1001,), "a"), pca_outputs((1001,), "b"), pca_outputs((2002,), "c")
    assert alice == alice_again
    assert alice != bob


@pytest.mark.usefixtures("bwrap")
def test_a_group_submission_is_seeded_by_all_its_members(pca_zip, tmp_path):
    _, results = run_autograder(make_root(tmp_path, pca_zip, PCA / "correct_plain", users=(30, 4)))
    assert results["extra_data"]["student"] == "30-4"  # the ids, sorted and joined: the same whoever submits
    assert results["extra_data"]["gradescope_user_ids"] == sorted(["30", "4"])


@pytest.mark.usefixtures("bwrap")
def test_a_notebook_upload_is_graded(pca_zip, tmp_path):
    _, results = run_autograder(make_root(tmp_path, pca_zip, PCA / "correct_notebook"))
    assert results["score"] == 14


@pytest.mark.usefixtures("bwrap")
def test_an_upload_without_answers_scores_0_and_says_why(pca_zip, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("I will submit later")
    _, results = run_autograder(make_root(tmp_path, pca_zip, empty))
    assert results["score"] == 0
    assert "no answers found: expected answers.py, one *.ipynb notebook or a chat transcript" in results["output"]


def test_missing_metadata_scores_0_and_says_why(pca_zip, tmp_path):
    proc, results = run_autograder(make_root(tmp_path, pca_zip, PCA / "correct_plain", users=None))
    assert results["score"] == 0 and results["tests"] == []
    assert "did not say whose submission this is" in results["output"]
    assert "submission_metadata.json" in proc.stdout  # the details are for staff
    assert "submission_metadata.json" in results["extra_data"]["autograder_error"]


def test_a_sandbox_that_does_not_start_scores_0_with_the_reason(pca_zip, tmp_path):
    """Without bwrap on PATH nothing of the student's runs, unconfined or not: every test 0, and why."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    for tool in ("mkdir", "rm", "cat"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    proc, results = run_autograder(make_root(tmp_path, pca_zip, PCA / "correct_plain"), path=str(bin_))
    assert results["score"] == 0 and results["tests"] and all(t.get("score", 0) == 0 for t in results["tests"])
    assert "the sandbox that runs your code could not start" in results["output"]
    assert "bwrap" in proc.stdout and "bwrap" in results["extra_data"]["autograder_error"]


def test_no_python_environment_still_writes_a_result(pca_zip, tmp_path):
    proc, results = run_autograder(make_root(tmp_path, pca_zip, PCA / "correct_plain"), python=str(tmp_path / "none"))
    assert results["score"] == 0 and "could not run on this submission (exit status 127)" in results["output"]
    assert "no Python at" in proc.stdout


def test_broken_settings_score_0_and_say_why(pca_zip, tmp_path):
    root = make_root(tmp_path, pca_zip, PCA / "correct_plain")
    (root / "source" / "autograder.json").write_text("{not json")
    _, results = run_autograder(root)
    assert results["score"] == 0 and "not set up correctly" in results["output"]
    assert "autograder.json" in results["extra_data"]["autograder_error"]


@pytest.mark.slow
@pytest.mark.usefixtures("bwrap")
def test_the_timed_train_fast_sets_the_leaderboard(tmp_path):
    target = tmp_path / "resnet.zip"
    assert export(target, "--problem", "resnet_blog").returncode == 0
    _, results = run_autograder(make_root(tmp_path, target, EXAMPLES / "resnet_blog" / "train_fast_reaches_target"))
    board = {e["name"]: e for e in results["leaderboard"]}
    assert set(board) == {"train_fast time (s)", "train_fast accuracy (%)"}
    assert board["train_fast time (s)"]["order"] == "asc" and board["train_fast accuracy (%)"]["order"] == "desc"
    output = next(t["output"] for t in results["tests"] if t["tags"][1] == "resnet_blog.train_fast")
    assert f"accuracy {board['train_fast accuracy (%)']['value']:.1f} %" in output
    assert f"time {board['train_fast time (s)']['value']:.1f} s" in output
