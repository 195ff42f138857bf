"""`grader assign`: the student package holds no answer, checks like the full project, and runs on push.

One package is built per test session (`student_package`). Its `grader check` runs in
subprocesses whose Python path holds the package only, never the course's repository.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from grader.pipeline import load_problems
from grader.run_checks import claims_of
from grader.staff import assign
from grader.staff.assign import AssignError, build_package
from tests.conftest import EXAMPLES, ROOT
from tests.tools.actionlint import lint

MIN_REFERENCE_LINE = 30
# Lines of reference/ that say nothing about an answer: imports and the like, found in any Python file.
GENERIC_LINE = re.compile(r"^(from \S+ import .+|import \S+( as \S+)?|if __name__ == .__main__.:)$")


@pytest.fixture(scope="session")
def student_package(tmp_path_factory) -> Path:
    """The student package of every problem, with its zip, built once."""
    dist = tmp_path_factory.mktemp("package") / "hw7"
    build_package(dist, make_zip=True)
    return dist


def package_env(dist: Path) -> dict:
    """An environment in which Python sees the package and not the course's repository."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(dist)
    return env


def package_grader(dist: Path, *args, env: dict | None = None, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          env=env or package_env(dist), cwd=cwd or dist, timeout=600)


# ------------------------------------------------------------------------------------ what is in it

def package_files(dist: Path) -> list[str]:
    return sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file())


def test_the_package_holds_what_a_student_needs_and_nothing_of_the_staff(student_package):
    files = package_files(student_package)
    names = [p.name for p in load_problems()]
    for needed in ("README.md", "Makefile", "pyproject.toml", ".github/workflows/hw7-check.yml",
                   "submissions/template/answers.py", "grader/cli.py", "grader/sandbox_worker.py",
                   *(f"problems/{n}/statement.md" for n in names), *(f"problems/{n}/checks.py" for n in names),
                   *(f"problems/{n}/sealed.json" for n in names)):
        assert needed in files, needed
    forbidden = re.compile(r"^(reference|tests|bench|docs|submissions/examples)/|(^|/)(seals|graded_checks)\.py$"
                           r"|HW7_ANSWER_CONTRACT|course\.toml|expected\.json")
    assert [f for f in files if forbidden.search(f)] == []
    assert not (student_package / "problems" / "__pycache__").exists()
    # Staff tools a check never imports: the Gradescope export, rosters and LMS files, the class report.
    assert [f for f in files if f in assign.STAFF_RUNTIME] == []
    assert "grader/staff/gradescope.py" in assign.STAFF_RUNTIME and "grader/staff/classreport.py" in assign.STAFF_RUNTIME
    # Nor the TA's answer groups, the similarity report, or the package builder and its templates.
    assert not [f for f in files if f.startswith("grader/staff/") and f != "grader/staff/__init__.py"], files
    deps = tomllib.loads((student_package / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [d for d in deps if d.startswith("matplotlib")]  # only the class report draws


def test_the_zip_holds_the_same_files_under_one_folder(student_package):
    with zipfile.ZipFile(student_package.with_name("hw7.zip")) as zf:
        members = sorted(zf.namelist())
        assert members == [f"hw7/{f}" for f in package_files(student_package)]
        assert zf.read("hw7/README.md") == (student_package / "README.md").read_bytes()


def test_the_readme_lists_every_answer_as_grader_problems_prints_it(student_package):
    text = (student_package / "README.md").read_text()
    listing = subprocess.run([sys.executable, "-m", "grader", "problems"], capture_output=True, text=True,
                             cwd=ROOT, check=True).stdout
    assert listing.strip() and listing.strip() in text
    for words in ("make install", "make check", "cp -r submissions/template submissions/mine",
                  "public checks", "GitHub Classroom", "Checked only for form here"):
        assert words in text, words
    assert "pending manual" not in text.lower()


def test_the_workflow_passes_actionlint(student_package):
    proc = lint(student_package / ".github" / "workflows" / "hw7-check.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (student_package / ".github" / "workflows" / "hw7-check.yml").read_text()
    assert "cache: pip" in text and "make install" in text and "make check" in text


def test_the_packaged_grader_lists_the_same_problems(student_package):
    proc = package_grader(student_package, "problems")
    assert proc.returncode == 0, proc.stderr
    ours = subprocess.run([sys.executable, "-m", "grader", "problems"], capture_output=True, text=True, cwd=ROOT)
    assert proc.stdout == ours.stdout


# ------------------------------------------------------------------------------------ nothing leaks

def reference_lines() -> set[str]:
    """Every line of reference/**/*.py of at least MIN_REFERENCE_LINE characters, stripped, but imports."""
    lines = set()
    for path in (ROOT / "reference").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) >= MIN_REFERENCE_LINE and not GENERIC_LINE.match(line):
                lines.add(line)
    return lines


def key_point_texts() -> set[str]:
    """The label and pattern of every rubric key point (the TA's grading page looks for them in answers)."""
    return {text for p in load_problems() for part in p.parts for kp in getattr(part, "key_points", ())
            for text in (kp.label, kp.pattern)}


def graded_claim_names() -> set[str]:
    """The function name and description of every hidden and after-due claim."""
    out = set()
    for problem in load_problems():
        for fn, c in claims_of(problem):
            if c.graded_only:
                out |= {fn, c.description}
    return out


def package_texts(dist: Path) -> dict[str, str]:
    """Every file of the package, and every member of its zip, as text."""
    texts = {}
    for path in dist.rglob("*"):
        if path.is_file():
            texts[path.relative_to(dist).as_posix()] = path.read_bytes().decode("utf-8", errors="replace")
    with zipfile.ZipFile(dist.with_name(dist.name + ".zip")) as zf:
        for name in zf.namelist():
            texts[f"{dist.name}.zip:{name}"] = zf.read(name).decode("utf-8", errors="replace")
    return texts


def test_nothing_of_the_answers_is_in_the_package(student_package, capsys):
    from grader.secrets import describe, find_leaks, secrets

    problems = load_problems()
    among = secrets(problems)  # every accepted answer in plain text (all units, both notations) and every rubric
    lines = reference_lines()
    names = graded_claim_names() | key_point_texts()
    with capsys.disabled():
        print(f"\nscanned for {len(among)} accepted answers and rubric clauses:\n{describe(among)}")
        print(f"{len(lines)} lines of reference/ of {MIN_REFERENCE_LINE}+ characters, "
              f"{len(names)} names and descriptions of hidden and after-due claims and rubric key points: "
              f"{sorted(names)}")
    assert among and lines and names
    found = []
    for where, text in package_texts(student_package).items():
        found += [f"{where}: {s.where}: {s.text!r}" for s in find_leaks(text, among)]
        found += [f"{where}: reference line {line!r}" for line in lines if line in text]
        found += [f"{where}: graded claim or key point {name!r}" for name in names if name in text]
    assert found == []


def test_the_scan_would_find_a_leak(student_package, tmp_path):
    """Planted in a copy of the package, an answer, a rubric, a reference line and a hidden claim's name are found."""
    from grader.secrets import find_leaks, secrets

    problems = load_problems()
    among = secrets(problems)
    rubric = next(s for s in among if s.kind == "rubric")
    answer = next(s for s in among if s.kind != "rubric")
    planted = f"{answer.text}\n{rubric.text}\n{sorted(reference_lines())[0]}\n{sorted(graded_claim_names())[0]}\n"
    assert {s.text for s in find_leaks(planted, among)} >= {answer.text, rubric.text}
    assert any(line in planted for line in reference_lines())
    assert any(name in planted for name in graded_claim_names())


# ------------------------------------------------------------------------------------ same verdicts

DRIVER = r'''
import json, shutil, sys
from pathlib import Path
from grader.pipeline import RunConfig, grade_submission, load_problems
from grader.sandbox import SandboxConfig
out = {}
for path, problem in json.loads(sys.argv[1]):
    problems = load_problems((problem,))
    config = RunConfig("check", (problem,), SandboxConfig(use_bwrap=shutil.which("bwrap") is not None), "public")
    r = grade_submission(Path(path), problems, config)
    out[path] = {
        "checks": [[c.problem, c.part, c.claim, c.description, c.points, c.score, str(c.status), c.message,
                    c.visibility] for c in r.checks],
        "parts": [[p.problem, p.part, p.points, p.score, str(p.status)] for p in r.parts],
        "notes": list(r.notes), "load_error": r.load_error, "import_error": r.import_error,
        "staff": list(r.staff_notes)}
leaked = sorted(m for m in sys.modules if m.split(".")[0] == "reference" or m.endswith((".seals", ".graded_checks")))
print(json.dumps({"reports": out, "staff_modules": leaked}))
'''

EXAMPLE_DIRS = sorted(p for p in EXAMPLES.glob("*/*") if p.is_dir())
# Where the two trees may word a message apart, and only there: a counterexample the package cannot shrink (it
# has the reference's values at fixed points, not its expression), the reference trainer's time (only the course's
# repository has it), and durations, which are each run's own (a speed run's time, a timeout made from one).
COUNTEREXAMPLE = "smallest counterexample:"
TIMINGS = re.compile(r"; the reference ResNet-9 took [^;]*x the reference|\b\d+(\.\d+)? s\b")


def sealed_wording(message: str) -> str:
    """A message without what the package may word apart from the full project."""
    return TIMINGS.sub("", message.split(COUNTEREXAMPLE)[0])


def check_all(cwd: Path, env: dict) -> subprocess.Popen:
    cases = json.dumps([[str(p), p.parent.name] for p in EXAMPLE_DIRS])
    return subprocess.Popen([sys.executable, "-c", DRIVER, cases], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_every_example_gets_the_same_public_verdicts_from_the_package(student_package):
    project_env = dict(os.environ, PYTHONPATH=str(ROOT))
    runs = {"package": check_all(student_package, package_env(student_package)), "project": check_all(ROOT, project_env)}
    results = {}
    for name, proc in runs.items():
        stdout, stderr = proc.communicate(timeout=1800)
        assert proc.returncode == 0, f"{name}: {stderr[-3000:]}"
        results[name] = json.loads(stdout)
    package, project = results["package"], results["project"]
    assert package["staff_modules"] == []  # the package's check ran without reference/, seals or graded checks
    assert set(package["reports"]) == {str(p) for p in EXAMPLE_DIRS}
    worded = []
    for example in sorted(project["reports"]):
        ours, theirs = project["reports"][example], package["reports"][example]
        assert theirs["staff"] == [] or theirs["staff"] == ours["staff"], (example, theirs["staff"])
        for key in ("parts", "notes", "load_error", "import_error"):
            assert theirs[key] == ours[key], (example, key)
        assert len(theirs["checks"]) == len(ours["checks"]), example
        for mine, full in zip(theirs["checks"], ours["checks"]):
            assert mine[:7] + mine[8:] == full[:7] + full[8:], (example, full[2])  # verdict, score, points, names
            if mine[7] != full[7]:
                assert sealed_wording(mine[7]) == sealed_wording(full[7]), (example, full[2], mine[7], full[7])
                worded.append(f"{Path(example).parent.name}/{Path(example).name}: {full[2]}")
        assert not any(c[6] == "check_broken" for c in theirs["checks"]), example
    print(f"\nsame verdicts on {len(project['reports'])} examples; messages worded apart (sealed comparisons) in:\n  "
          + "\n  ".join(worded))


# ------------------------------------------------------------------------------------ GitHub Actions in the package

def test_the_packaged_check_writes_the_job_summary_and_annotations(student_package, tmp_path):
    sub = student_package / "submissions"
    for name in ("correct", "tokens_swapped"):
        shutil.copytree(EXAMPLES / "seq2seq_translation" / name, tmp_path / "repo" / "submissions" / name)
    repo = tmp_path / "repo"
    results = {}
    for name in ("correct", "tokens_swapped"):
        summary = tmp_path / f"{name}.md"
        env = dict(package_env(student_package), GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary),
                   GITHUB_WORKSPACE=str(repo))
        proc = package_grader(student_package, "check", f"submissions/{name}", "--problem", "seq2seq_translation",
                              env=env, cwd=repo)
        results[name] = (proc, summary.read_text())
    ok, ok_summary = results["correct"]
    assert ok.returncode == 0 and not [l for l in ok.stdout.splitlines() if l.startswith("::")]
    assert "| `seq2seq_translation.training_decoder_inputs` | ✅ passed | 3/3 |" in ok_summary
    bad, bad_summary = results["tokens_swapped"]
    errors = [l for l in bad.stdout.splitlines() if l.startswith("::error ")]
    assert bad.returncode == 1 and len(errors) == 3
    assert errors[0].startswith("::error file=submissions/tokens_swapped/answers.py,line=4,"
                                "title=seq2seq_translation.training_decoder_inputs%3A wrong (0/3)::")
    assert "| `seq2seq_translation.training_decoder_inputs` | ❌ wrong | 0/3 |" in bad_summary
    assert sub.is_dir()


# ------------------------------------------------------------------------------------ the command

def test_assign_refuses_a_non_empty_folder_without_force(tmp_path):
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "notes.txt").write_text("mine")
    proc = subprocess.run([sys.executable, "-m", "grader", "assign", str(dist), "--problem", "seq2seq_translation"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "is not empty" in proc.stderr and "--force" in proc.stderr
    assert (dist / "notes.txt").read_text() == "mine"
    (dist / ".git").mkdir()
    proc = subprocess.run([sys.executable, "-m", "grader", "assign", str(dist), "--problem", "seq2seq_translation",
                           "--force"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert not (dist / "notes.txt").exists() and (dist / ".git").is_dir() and (dist / "Makefile").is_file()
    assert "built the student package" in proc.stdout


def test_a_package_of_some_problems_holds_only_them(tmp_path):
    dist = tmp_path / "seq"
    built = build_package(dist, ("seq2seq_translation",))
    assert built.problems == ("seq2seq_translation",)
    assert sorted(p.name for p in (dist / "problems").iterdir() if p.is_dir()) == ["seq2seq_translation"]
    readme = (dist / "README.md").read_text()
    assert "seq2seq_translation.decoder_inputs" in readme and "pca_autoencoder" not in readme
    template = (dist / "submissions" / "template" / "answers.py").read_text()
    assert "training_decoder_inputs" in template and "grad_W1" not in template
    assert "torch" not in (dist / "pyproject.toml").read_text()  # seq2seq needs no torch
    proc = package_grader(dist, "check", str(EXAMPLES / "seq2seq_translation" / "correct"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = package_grader(dist, "grade", str(EXAMPLES / "seq2seq_translation"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "student package" in proc.stderr and not (tmp_path / "out").exists()
    # The other staff commands refuse as clearly: their modules are not in the package, and no traceback shows it.
    for command in (["manual", str(tmp_path / "out")], ["history", "s1", "--out", str(tmp_path / "out")],
                    ["assign", str(tmp_path / "again")]):
        proc = package_grader(dist, *command)
        assert proc.returncode == 2 and "student package" in proc.stderr and "Traceback" not in proc.stderr, (
            command, proc.stderr)


def test_assign_refuses_a_tree_whose_problems_do_not_load(tmp_path, monkeypatch):
    def broken():
        raise SyntaxError("invalid syntax (checks.py, line 3)")

    monkeypatch.setattr(assign, "discover", broken)
    with pytest.raises(AssignError, match=r"do not load, so no package was built:(.|\n)*checks\.py, line 3"):
        build_package(tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def test_assign_refuses_a_public_check_that_reads_the_reference(tmp_path, monkeypatch):
    from grader.problem import Part, Problem

    root = tmp_path / "problems" / "fake"
    root.mkdir(parents=True)
    (tmp_path / "problems" / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "checks.py").write_text("from problems.fake import helper\n")
    (root / "helper.py").write_text("def f():\n    from reference import fake\n")
    monkeypatch.setattr(assign, "ROOT", tmp_path)
    problem = Problem("fake", "Fake", (Part("a", 1, "int"),), package="problems.fake", root=root)
    with pytest.raises(AssignError, match=r"problems/fake/helper\.py imports reference: .*sealed data"):
        assign.shipped_modules(problem)
    (root / "helper.py").write_text("from problems.fake import seals\n")
    with pytest.raises(AssignError, match=r"imports problems\.fake\.seals, which is staff-only"):
        assign.shipped_modules(problem)
    (root / "helper.py").write_text("GRAMMAR = 'fake.lark'\n")
    (root / "fake.lark").write_text("start: 'x'")
    (root / "notes.txt").write_text("staff notes")
    modules = assign.shipped_modules(problem)
    assert [m.name for m in modules] == ["__init__.py", "checks.py", "helper.py"]
    assert [f.name for f in assign.data_files(problem, modules)] == ["fake.lark"]


def test_building_twice_gives_the_same_package(tmp_path):
    first = build_package(tmp_path / "a" / "hw7", ("seq2seq_translation",), make_zip=True, verify=False)
    second = build_package(tmp_path / "b" / "hw7", ("seq2seq_translation",), make_zip=True, verify=False)
    assert first.files == second.files
    for rel in first.files:
        assert (first.dist / rel).read_bytes() == (second.dist / rel).read_bytes(), rel
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()


@pytest.mark.slow
def test_a_student_installs_and_checks_with_the_two_commands(tmp_path):
    """`make install` in a fresh copy of the package (a new venv, no bubblewrap needed, no browser), then `make check`."""
    dist = tmp_path / "hw7"
    build_package(dist, ("regularized_autoencoder",))  # torch pinned, as the package installs it
    shutil.copytree(EXAMPLES / "regularized_autoencoder" / "correct_mean_loss", dist / "submissions" / "mine")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "GITHUB_ACTIONS")}
    python = shutil.which("python3.11") or shutil.which("python3")
    proc = subprocess.run(["make", "install", f"PYTHON={python}"], cwd=dist, env=env, capture_output=True,
                          text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert (dist / ".venv" / "bin" / "grader").is_file()
    proc = subprocess.run(["make", "check"], cwd=dist, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Public checks passed" in proc.stdout
    import_check = subprocess.run([str(dist / ".venv" / "bin" / "python"), "-c", "import reference"], cwd=tmp_path,
                                  env=env, capture_output=True, text=True)
    assert import_check.returncode != 0  # the student's environment has no reference to import


def test_assign_refuses_a_hidden_claim_among_the_public_ones(tmp_path, monkeypatch):
    from grader.claims import Claim

    problem = load_problems(("seq2seq_translation",))[0]
    real = assign.claims_of(problem)
    fn = next(name for name, c in real if not c.graded_only)
    moved = [(name, Claim(c.part, c.points, "hidden", c.description, name) if name == fn else c) for name, c in real]
    monkeypatch.setattr(assign, "claims_of", lambda p: moved)
    with pytest.raises(AssignError, match=rf"checks\.py: claim {fn} is hidden, .*move it to graded_checks\.py"):
        assign.check_split(problem)
    public = {name for name, c in real if not c.graded_only}
    monkeypatch.setattr(assign, "_claims_in", lambda module: [(n, c) for n, c in real if n in public - {fn}])
    monkeypatch.setattr(assign, "claims_of", lambda p: real)
    with pytest.raises(AssignError, match=rf"graded_checks\.py: claim {fn} is public, .*move it to checks\.py"):
        assign.check_split(problem)
