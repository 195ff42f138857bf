"""The batch's pieces that need no cluster: snapshots, seeds sent instead of the secret, hashes, GPU tagging, progress."""
import io
import os
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from grader import snapshot
from grader.batch import NEEDS_GPU, Task, awaiting_gpu, config_hash, gpu_problems, hashed_files, merge
from grader.config import CourseConfig
from grader.errors import GraderError
from grader.load import load
from grader.model import CHECK_BROKEN, PASSED, Report
from grader.pipeline import RunConfig, load_problems
from grader.problem import Part, Problem
from grader.progress import Counts, Progress
from grader.run_checks import Seeds, SeedTable, claims_of
from grader.sandbox import SandboxConfig
from grader.score import score
from tests.unit.manual_fakes import PROBLEM, check, report


def folder(tmp_path: Path, files: dict) -> Path:
    root = tmp_path / "alice"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# snapshots


def test_a_snapshot_unpacks_to_the_same_submission_elsewhere(tmp_path):
    root = folder(tmp_path, {"answers.py": "x = 1\n", "data/notes.txt": "hi"})
    os.symlink("answers.py", root / "link.py")
    snap = snapshot.take(root)
    assert [(e.path, e.kind) for e in snap.entries] == [("answers.py", "file"), ("data", "dir"),
                                                        ("data/notes.txt", "file"), ("link.py", "link")]
    (tmp_path / "elsewhere").mkdir()
    copy = snap.materialize(tmp_path / "elsewhere")
    assert copy.name == "alice" and (copy / "answers.py").read_text() == "x = 1\n"
    assert os.readlink(copy / "link.py") == "answers.py"
    assert load(copy, tmp_path / "scratch").cells == load(root, tmp_path / "scratch2").cells
    assert snapshot.take(copy).digest == snap.digest


def test_the_hash_names_the_content(tmp_path):
    root = folder(tmp_path, {"answers.py": "x = 1\n"})
    first = snapshot.take(root).digest
    assert snapshot.take(root).digest == first
    (root / "answers.py").write_text("x = 2\n")
    assert snapshot.take(root).digest != first
    (root / "answers.py").rename(root / "other.py")
    assert snapshot.take(root).digest not in (first,)


def test_a_zip_travels_as_its_bytes(tmp_path):
    archive = tmp_path / "bob.zip"
    archive.write_bytes(b"PK not really")
    snap = snapshot.take(archive)
    assert snap.kind == "zip" and snap.archive == b"PK not really"
    (tmp_path / "w").mkdir()
    assert snap.materialize(tmp_path / "w").read_bytes() == b"PK not really"


def test_a_link_out_of_the_submission_is_judged_by_the_loader_on_the_worker_as_on_the_original(tmp_path):
    root = folder(tmp_path, {"answers.py": "x = 1\n"})
    os.symlink("/etc/passwd", root / "secrets.txt")
    (tmp_path / "w").mkdir()
    copy = snapshot.take(root).materialize(tmp_path / "w")
    assert os.readlink(copy / "secrets.txt") == "/etc/passwd"  # kept as a link, never as the file's bytes
    original, unpacked = load(root, tmp_path / "s1"), load(copy, tmp_path / "s2")
    assert unpacked.notes == original.notes and any("secrets.txt" in n for n in unpacked.notes)


def test_a_folder_being_rewritten_is_read_until_two_passes_agree(tmp_path, monkeypatch):
    root = folder(tmp_path, {"answers.py": "x = 1\n"})
    real = snapshot._read_folder
    versions = iter(["x = 2\n", "x = 3\n"])

    def changing(path):
        got = real(path)
        text = next(versions, None)
        if text is not None:
            (root / "answers.py").write_text(text)  # the student's upload lands while we read
        return got

    monkeypatch.setattr(snapshot, "_read_folder", changing)
    snap = snapshot.take(root)
    assert snap.entries[0].data == b"x = 3\n"


def test_a_folder_that_never_stops_changing_is_not_graded_half_written(tmp_path, monkeypatch):
    root = folder(tmp_path, {"answers.py": "x = 1\n"})
    n = iter(range(100))
    monkeypatch.setattr(snapshot, "_read_folder",
                        lambda path: ((snapshot.Entry("answers.py", "file", f"x = {next(n)}".encode()),), False))
    with pytest.raises(GraderError, match="changed every time it was read"):
        snapshot.take(root)


def test_a_huge_folder_is_read_only_a_little_past_the_loaders_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "MAX_TOTAL_BYTES", 1000)
    root = folder(tmp_path, {f"f{i}.bin": "x" * 400 for i in range(10)})
    snap = snapshot.take(root)
    assert snap.truncated and snap.size <= 1001


# seeds instead of the secret


def test_a_seed_table_gives_every_claim_the_seed_the_secret_would():
    problems = load_problems(("seq2seq_translation",))
    seeds = Seeds("course secret", "alice")
    table = SeedTable.of(seeds, problems)
    for fn, _ in claims_of(problems[0]):
        assert table.seed("seq2seq_translation", fn) == seeds.seed("seq2seq_translation", fn)
    with pytest.raises(KeyError, match="no seed was sent for seq2seq_translation.made_up"):
        table.seed("seq2seq_translation", "made_up")


def test_a_task_carries_no_trace_of_the_secret(tmp_path):
    secret = "the-course-secret-4711"
    problems = load_problems(("seq2seq_translation",))
    task = Task("alice", snapshot.take(folder(tmp_path, {"answers.py": "x = 1\n"})), ("seq2seq_translation",),
                SeedTable.of(Seeds(secret, "alice"), problems))
    config = replace(RunConfig("grade", ("seq2seq_translation",), secret=secret), secret="")
    assert secret.encode() not in pickle.dumps(task) + pickle.dumps(config)


# what a grading depends on


def test_the_config_hash_changes_with_what_changes_grades():
    base = RunConfig("grade", (), SandboxConfig(), "s1", CourseConfig())
    h = config_hash(base)
    assert config_hash(replace(base, course=replace(CourseConfig(), source="elsewhere.toml"))) == h
    for changed in (replace(base, secret="s2"), replace(base, before_due=True), replace(base, problems=("a",)),
                    replace(base, course=CourseConfig(near_miss=(("p.a", 0.5),))),
                    replace(base, sandbox=SandboxConfig(use_bwrap=False))):
        assert config_hash(changed) != h
    assert "s1" not in h


def test_the_checks_hash_covers_the_graded_checks_and_the_seals_of_every_problem():
    hashed = {path.resolve() for _, path in hashed_files()}
    problems = load_problems()
    graded = [p.graded_checks_path for p in problems if p.graded_checks_path.is_file()]
    seals = [p.checks_path.parent / "seals.py" for p in problems if (p.checks_path.parent / "seals.py").is_file()]
    assert graded and seals  # the course has both, so the assertion below is about something
    for path in [p.checks_path for p in problems] + graded + seals:
        assert path.resolve() in hashed, path


# GPU parts


GPU_PROBLEM = Problem("g", "Timed", (Part("fast", 2, "a function", kind="function", gpu=True), Part("b", 1, "an int")))


def test_only_problems_with_a_tagged_part_go_to_a_gpu_worker():
    assert gpu_problems((PROBLEM, GPU_PROBLEM)) == (GPU_PROBLEM,)
    resnet = load_problems(("resnet_blog",))[0]
    assert [p.name for p in resnet.parts if p.gpu] == ["train_fast"]


def gpu_report() -> Report:
    checks = (replace(check("fast", "trains_in_budget", 2, PASSED, 2.0), problem="g"),
              replace(check("b", "b_is_right", 1, PASSED, 1.0), problem="g"))
    return Report("alice", "grade", "module", checks, score((GPU_PROBLEM,), checks))


def test_without_a_gpu_worker_only_the_tagged_parts_wait_and_earn_nothing_meanwhile():
    r = awaiting_gpu(gpu_report(), (GPU_PROBLEM,))
    fast, b = r.checks
    assert (fast.status, fast.score, fast.message) == (CHECK_BROKEN, 0.0, NEEDS_GPU)
    assert (b.status, b.score) == (PASSED, 1.0)
    assert r.score == 1.0 and r.max_score == 3.0
    assert "g.fast: needs a GPU worker" in r.staff_notes[-1]


def test_the_reports_of_a_submissions_tasks_merge_in_problem_order():
    gpu = gpu_report()
    cpu = report("alice")
    merged = merge("alice", [gpu, cpu], (PROBLEM, GPU_PROBLEM))
    assert [c.problem for c in merged.checks] == ["p"] * 4 + ["g"] * 2
    assert merged.max_score == cpu.max_score + gpu.max_score and merged.score == cpu.score + gpu.score
    assert merged.import_error == "boom" and merged.staff_notes == cpu.staff_notes


# progress


def test_progress_counts_what_a_ta_watches():
    c = Counts(total=10)
    c.add(report("alice"))
    c.add(Report("bob", "grade", "unreadable"))
    c.add(replace(report("carol"), import_error="the submission's process did not finish within 10 s (wall time)"
                  " while being imported"))
    c.add(Report("dave", "grade", "grader_error"))
    c.add(Report("erin", "grade", "module", import_error="the submission's process was killed by signal SIGSEGV "
                                                          "while being imported"))  # a crash, not a limit
    c.skipped += 2
    assert (c.done, c.unreadable, c.limits, c.errors) == (7, 1, 1, 3)  # dave, and alice's and carol's failed collect stage
    assert "graded 7/10 (70%)" in c.line()
    assert c.line().endswith("skipped (already graded) 2, failed to load 1, limit exceeded 1, grader errors 3")


def test_progress_in_a_log_is_a_line_every_few_seconds_then_a_last_one():
    stream = io.StringIO()
    p = Progress(3, stream, every=3600, bar=False)
    p.graded(Report("a", "grade", "module"))
    p.skipped("b")
    assert stream.getvalue() == ""  # not yet: at most one line every `every` seconds
    p.every = 0
    p.graded(Report("b", "grade", "unreadable"))
    p.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and all(line.startswith("graded 3/3 (100%)") for line in lines)
    assert "done; skipped (already graded) 1, failed to load 1" in lines[-1]


def test_progress_on_a_terminal_is_a_bar():
    stream = io.StringIO()
    p = Progress(2, stream, bar=True)
    p.graded(Report("a", "grade", "module"))
    p.close()
    assert "1/2" in stream.getvalue() and "grader errors 0" in stream.getvalue()


def test_a_submission_that_cannot_be_snapshotted_earns_nothing_and_is_tried_again(tmp_path, monkeypatch):
    import sqlite3

    from grader import batch as batch_module
    from grader.batch import Batch, BatchOptions

    root = folder(tmp_path, {"answers.py": "x = 1\n"})

    def never(path):
        raise GraderError(f"{path} changed every time it was read (4 passes); grade it again once it is complete")

    monkeypatch.setattr(batch_module.snapshots, "take", never)
    config = RunConfig("grade", ("seq2seq_translation",), SandboxConfig(use_bwrap=False), "s")
    options = BatchOptions(jobs=1, bar=False)
    result = Batch([root], config, tmp_path / "out", options, stream=io.StringIO()).run()
    [r] = result.reports
    assert r.kind == "unreadable" and r.score == 0 and "changed every time it was read" in r.load_error
    assert result.graded == 1 and result.broken == []
    db = sqlite3.connect(tmp_path / "out" / "_staff" / "gradebook.sqlite")
    assert db.execute("SELECT state FROM submissions").fetchall() == [("failed",)]  # not reused by the next run


def test_a_stopped_inline_batch_prints_to_its_own_streams_while_the_abandoned_grading_still_captures(monkeypatch):
    import contextlib
    import sys
    import threading

    from grader import batch as batch_module
    from grader.batch import InlineEngine

    grading, release = threading.Event(), threading.Event()

    def stuck(path, problems, config, seeds=None):
        # As a claim session does while claims run: the process's stdout and stderr point at a buffer.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            grading.set()
            release.wait(30)
        return Report("alice", "grade", "module")

    monkeypatch.setattr(batch_module, "STOP_WAIT_S", 0.2)
    own = (sys.stdout, sys.stderr)
    engine = InlineEngine(RunConfig("grade", ("seq2seq_translation",), SandboxConfig(use_bwrap=False), ""), stuck)
    try:
        task = Task("alice", snapshot.Snapshot("alice", "folder"), ("seq2seq_translation",), SeedTable(()))
        engine.submit(task)
        assert grading.wait(30)
        assert sys.stderr is not own[1]  # the stop comes while the grading thread captures
        assert engine.next_done(lambda: True) is None
        engine.close(stopping=True)
        assert (sys.stdout, sys.stderr) == own  # so "stopped by ..." reaches the TA
    finally:
        release.set()
        sys.stdout, sys.stderr = own


def test_the_embedded_workers_keep_dasks_settings_but_a_slower_upkeep():
    """Dask's event-loop checks and system monitor run less often on our workers; nothing else of Dask changes."""
    import dask.config

    from grader.cluster import QUIET_UPKEEP, worker_config

    settings = worker_config()["distributed"]
    assert settings["admin"]["tick"]["interval"] == "1s" and settings["admin"]["system-monitor"]["interval"] == "5s"
    assert settings["worker"]["profile"]["enabled"] is False
    # The whole section travels (a Nanny replaces top-level sections): Dask's own settings are all still there.
    assert settings["comm"] == dask.config.get("distributed.comm")
    assert settings["scheduler"] == dask.config.get("distributed.scheduler")
    # And this process's config is left as it was: only the cluster's start reads QUIET_UPKEEP.
    assert {key: dask.config.get(key) for key in QUIET_UPKEEP} != QUIET_UPKEEP
