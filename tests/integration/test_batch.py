"""`grader grade` as a batch: the gradebook, skips and --force, kill and resume, the lock, history, Dask clusters."""
import json
import os
import re
import random
import shutil
import signal
import subprocess
import threading
import time

import pytest

from tests.conftest import EXAMPLES
from tests.integration.batch_helpers import (SEQ, dask_cluster, env, grade, grade_args, grader_command, gradebook_rows,
                                             group_alive, kill_group, outputs, small_batch)
from grader import snapshot


N = len([p for p in SEQ.iterdir() if p.is_dir()])  # one copy of each seq2seq example


def results(out):
    """student -> results.json of an --out folder."""
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(out.glob("*/results.json"))}


def test_a_second_run_skips_what_is_graded_and_force_regrades(tmp_path):
    batch = small_batch(tmp_path / "batch", copies=1)
    out = tmp_path / "out"
    first = grade(batch, out, "--jobs", "1")
    assert first.returncode == 0, first.stderr
    assert f"graded {N} submission(s)" in first.stdout
    before = outputs(out)
    again = grade(batch, out, "--jobs", "1")
    assert again.returncode == 0, again.stderr
    assert "graded 0 submission(s)" in again.stdout
    assert f"{N} skipped, already graded with the same submission, checks and config (--force regrades them)" \
        in again.stdout
    assert outputs(out) == before
    (batch / "correct_0" / "answers.py").write_text((batch / "tokens_swapped_0" / "answers.py").read_text())
    changed = grade(batch, out, "--jobs", "1")
    assert "graded 1 submission(s)" in changed.stdout and f"{N - 1} skipped" in changed.stdout
    assert results(out)["correct_0"]["score"] == results(out)["tokens_swapped_0"]["score"]
    forced = grade(batch, out, "--jobs", "1", "--force")
    assert f"graded {N} submission(s)" in forced.stdout and "skipped" not in forced.stdout
    runs = gradebook_rows(out, "SELECT id, state, force FROM runs ORDER BY id")
    assert runs == [(1, "finished", 0), (2, "finished", 0), (3, "finished", 0), (4, "finished", 1)]
    states = gradebook_rows(out, "SELECT run_id, state, COUNT(*) FROM submissions GROUP BY run_id, state")
    assert states == [(1, "graded", N), (2, "skipped", N), (3, "graded", 1), (3, "skipped", N - 1), (4, "graded", N)]
    assert gradebook_rows(out, "PRAGMA integrity_check") == [("ok",)]


def test_history_shows_each_run_per_part_and_what_changed(tmp_path):
    batch = small_batch(tmp_path / "batch", copies=1)
    out = tmp_path / "out"
    assert grade(batch, out, "--jobs", "1").returncode == 0
    (batch / "tokens_swapped_0" / "answers.py").write_text((batch / "correct_0" / "answers.py").read_text())
    assert grade(batch, out, "--jobs", "1").returncode == 0
    proc = subprocess.run(grader_command("history", "tokens_swapped_0", "--out", str(out)),
                          capture_output=True, text=True, env=env())
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("history of tokens_swapped_0: 2 run(s)")
    assert "regraded: new submission" in text
    assert re.search(r"\n  seq2seq_translation.training_decoder_inputs +0/3 wrong -> 3/3 passed\n", text), text
    proc = subprocess.run(grader_command("history", "tokens_swaped_0", "--out", str(out)),
                          capture_output=True, text=True, env=env())
    assert proc.returncode == 2 and "Did you mean 'tokens_swapped_0'?" in proc.stderr


def test_ta_scores_of_grader_manual_are_kept_in_the_gradebook(tmp_path):
    batch = small_batch(tmp_path / "batch", copies=1)
    out = tmp_path / "out"
    assert grade(batch, out, "--jobs", "1").returncode == 0
    sheet = out / "_staff" / "manual_scores.csv"
    lines = sheet.read_text().splitlines()
    part = "seq2seq_translation.vertical_stacking_problem"
    [row] = [i for i, line in enumerate(lines) if line.startswith(f"correct_0,{part},")]
    assert lines[row].endswith(",4,,")  # its answer group's number, the points, no score yet
    lines[row] = lines[row][:-len(",4,,")] + ",4,3,good"
    sheet.write_text("\n".join(lines) + "\n")
    proc = subprocess.run(grader_command("manual", str(out)), capture_output=True, text=True, env=env())
    assert proc.returncode == 0, proc.stderr
    assert gradebook_rows(out, "SELECT source, student, part, score, comment FROM ta_scores") == [
        ("grader manual", "correct_0", "vertical_stacking_problem", 3.0, "good")]
    assert grade(batch, out, "--jobs", "1").returncode == 0  # the same sheet applied again: not recorded twice
    assert len(gradebook_rows(out, "SELECT * FROM ta_scores")) == 1
    assert results(out)["correct_0"]["score"] == 13


def test_a_second_run_on_the_same_out_refuses_at_once_and_the_gradebook_stays_whole(tmp_path):
    batch = small_batch(tmp_path / "batch", copies=1, slow=0.5)
    out = tmp_path / "out"
    first = subprocess.Popen(grade_args(batch, out, "--jobs", "1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not gradebook_rows(out, "SELECT 1 FROM submissions"):
            assert time.monotonic() < deadline and first.poll() is None, first.communicate()
            time.sleep(0.1)
        start = time.monotonic()
        second = grade(batch, out, "--jobs", "1")
        assert time.monotonic() - start < 30  # refused at once, not after waiting for the first
        assert second.returncode == 2
        assert f"grader: {out} is in use by another grader run (`grader grade" in second.stderr
        assert "Wait for it to finish, or stop it, then run again." in second.stderr
        stdout, stderr = first.communicate(timeout=300)
        assert first.returncode == 0, stderr
    finally:
        if first.poll() is None:
            kill_group(first)
    assert gradebook_rows(out, "PRAGMA integrity_check") == [("ok",)]
    assert gradebook_rows(out, "SELECT COUNT(*), COUNT(DISTINCT student) FROM submissions") == [(N, N)]
    assert gradebook_rows(out, "SELECT state FROM runs") == [("finished",)]


def kill_and_resume(tmp_path, sandbox: bool, kills: int, seed: int):
    """Kill a batch (its whole process group, SIGKILL) at random points, resume it, compare with a clean run."""
    batch = small_batch(tmp_path / "batch", copies=2, slow=0.2)
    clean = tmp_path / "clean"
    start = time.monotonic()
    proc = grade(batch, clean, sandbox=sandbox)
    took = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    rng = random.Random(seed)
    out = tmp_path / "out"
    for k in range(kills):
        run = subprocess.Popen(grade_args(batch, out, sandbox=sandbox), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env(), start_new_session=True)
        time.sleep(rng.uniform(0.3, took * 0.9))
        kill_group(run)
        deadline = time.monotonic() + 30
        while group_alive(run.pid):  # the workers and their sandboxes go with the group
            assert time.monotonic() < deadline, "processes of the killed batch are still running"
            time.sleep(0.1)
    resumed = grade(batch, out, sandbox=sandbox)
    assert resumed.returncode == 0, resumed.stderr
    assert outputs(out) == outputs(clean), f"seed {seed}"
    graded = gradebook_rows(out, "SELECT student, COUNT(*) FROM submissions WHERE state='graded' GROUP BY student")
    assert len(graded) == 2 * N and all(n == 1 for _, n in graded), graded  # every student graded exactly once
    assert gradebook_rows(out, "PRAGMA integrity_check") == [("ok",)]
    return gradebook_rows(out, "SELECT state FROM runs ORDER BY id")


@pytest.mark.slow
def test_a_batch_killed_at_random_points_resumes_to_the_outputs_of_a_clean_run(tmp_path):
    seed = random.randrange(1 << 30)
    runs = kill_and_resume(tmp_path, sandbox=False, kills=3, seed=seed)
    # A kill may land before a run records itself, or after a fast resumed run finished: only the last is sure.
    assert runs[-1] == ("finished",) and set(runs) <= {("interrupted",), ("finished",)}


@pytest.mark.slow
def test_a_sandboxed_batch_killed_mid_way_resumes_to_the_outputs_of_a_clean_run(bwrap, tmp_path):
    kill_and_resume(tmp_path, sandbox=True, kills=1, seed=random.randrange(1 << 30))


def test_a_folder_changing_during_the_batch_is_graded_from_one_snapshot(tmp_path):
    """A student re-uploading while the batch runs: what was graded is one version, and its hash says which."""
    batch = tmp_path / "batch"
    versions = {name: (EXAMPLES / "seq2seq_translation" / name / "answers.py").read_text()
                for name in ("correct", "tokens_swapped")}
    folder = batch / "alice"
    folder.mkdir(parents=True)
    (folder / "answers.py").write_text(versions["correct"])
    hashes = {}
    for name, text in versions.items():
        (folder / "answers.py").write_text(text)
        hashes[snapshot.take(folder).digest] = name
    stop = threading.Event()

    def upload():  # atomic replaces of answers.py, back and forth, all the time
        i = 0
        while not stop.is_set():
            tmp = folder / ".upload"
            tmp.write_text(versions[("correct", "tokens_swapped")[i % 2]])
            os.replace(tmp, folder / "answers.py")
            i += 1
            time.sleep(0.001)

    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    try:
        out = tmp_path / "out"
        proc = grade(batch, out, "--jobs", "1")
    finally:
        stop.set()
        thread.join()
    assert proc.returncode == 0, proc.stderr
    [(digest,)] = gradebook_rows(out, "SELECT content_hash FROM submissions")
    expected = {"correct": 10, "tokens_swapped": 0}[hashes[digest]]
    assert json.loads((out / "alice" / "results.json").read_text())["score"] == expected


# Dask: a real scheduler and workers on 127.0.0.1


@pytest.mark.slow
def test_a_dask_cluster_grades_like_the_local_run_and_a_killed_worker_costs_nothing(tmp_path):
    batch = small_batch(tmp_path / "batch", copies=1, slow=0.7)
    local = tmp_path / "local"
    assert grade(batch, local, "--jobs", "1").returncode == 0
    with dask_cluster(tmp_path, {"w1": "", "w2": ""}) as cluster:
        same = tmp_path / "same"
        proc = grade(batch, same, "--scheduler", cluster.address)
        assert proc.returncode == 0, proc.stderr
        assert f"on dask {cluster.address}" in proc.stdout
        assert results(same) == results(local)
        assert {w for (w,) in gradebook_rows(same, "SELECT DISTINCT worker FROM submissions")} == {"w1", "w2"}

        out = tmp_path / "out"
        run = subprocess.Popen(grade_args(batch, out, "--scheduler", cluster.address), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env(), start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while len(gradebook_rows(out, "SELECT 1 FROM submissions")) < 2:
                assert time.monotonic() < deadline and run.poll() is None, run.communicate()
                time.sleep(0.05)
            cluster.kill_worker("w1")  # mid-batch: it holds submissions being graded
            stdout, stderr = run.communicate(timeout=300)
        finally:
            if run.poll() is None:
                kill_group(run)
        assert run.returncode == 0, stderr
        assert results(out) == results(local)
        rows = gradebook_rows(out, "SELECT student, state FROM submissions")
        assert len(rows) == N and {s for _, s in rows} == {"graded"}  # each graded once, none lost
        assert gradebook_rows(out, "SELECT COUNT(*) FROM submissions WHERE worker='w2'")[0][0] >= N - 2


RESNET = EXAMPLES / "resnet_blog"


def gpu_batch(tmp_path):
    batch = tmp_path / "gpu-batch"
    for name in ("correct_numbers", "format_errors"):
        (batch / name).mkdir(parents=True)
        (batch / name / "answers.py").write_text((RESNET / name / "answers.py").read_text())
    return batch


@pytest.mark.slow
def test_gpu_parts_go_to_the_worker_with_the_gpu_resource(tmp_path):
    """The fake resource GPU=1 on one CPU worker: the timed problem's task goes there, the rest anywhere."""
    batch = gpu_batch(tmp_path)
    with dask_cluster(tmp_path, {"gpu-worker": "GPU=1", "cpu-worker": ""}) as cluster:
        out = tmp_path / "out"
        proc = subprocess.run(grade_args(batch, out, "--scheduler", cluster.address, "--gpu",
                                         problems=("resnet_blog", "seq2seq_translation")),
                              capture_output=True, text=True, env=env(), timeout=300)
        assert proc.returncode == 0, proc.stderr
    for (where,) in gradebook_rows(out, "SELECT worker FROM submissions"):
        parts = dict(w.split("@") for w in where.split(","))
        assert parts["resnet_blog"] == "gpu-worker", where
    report = json.loads((out / "correct_numbers" / "results.json").read_text())
    names = [t["name"].split(".")[0] for t in report["tests"]]
    assert names == sorted(names, key=lambda n: n != "resnet_blog")  # problems in their order, merged
    assert "needs a GPU worker" not in json.dumps(report)


@pytest.mark.slow
def test_without_a_gpu_worker_gpu_parts_wait_for_one_instead_of_failing(tmp_path):
    batch = gpu_batch(tmp_path)
    with dask_cluster(tmp_path, {"cpu-worker": ""}) as cluster:
        out = tmp_path / "out"
        args = grade_args(batch, out, "--scheduler", cluster.address, "--gpu", problems=("resnet_blog",))
        proc = subprocess.run(args, capture_output=True, text=True, env=env(), timeout=300)
        assert proc.returncode == 2
        assert "2 submission(s) have parts timed on a GPU and no GPU worker took them" in proc.stderr
        report = json.loads((out / "correct_numbers" / "results.json").read_text())
        fast = [t for t in report["tests"] if t["name"].startswith("resnet_blog.train_fast")]
        assert fast and all(t["score"] == 0 and t["extra_data"]["status"] == "check_broken" and
                            "no GPU worker was available" in t["output"] for t in fast)
        others = [t for t in report["tests"] if not t["name"].startswith("resnet_blog.train_fast")]
        assert any(t["score"] > 0 for t in others)
        assert {s for (s,) in gradebook_rows(out, "SELECT state FROM submissions")} == {"needs_gpu"}
        again = subprocess.run(args, capture_output=True, text=True, env=env(), timeout=300)
        assert "graded 2 submission(s)" in again.stdout  # waiting for a GPU is never skipped as done


def test_the_embedded_cluster_never_gives_a_worker_the_secret(tmp_path):
    from grader.cluster import DaskEngine
    from grader.pipeline import RunConfig

    os.environ["HW7_GRADER_SECRET"] = "never-on-a-worker"
    try:
        engine = DaskEngine(RunConfig("grade", ("seq2seq_translation",), secret=""), "hw7-grader-test", jobs=1)
        try:
            seen = engine.client.run(lambda: os.environ.get("HW7_GRADER_SECRET"))
        finally:
            engine.close()
    finally:
        del os.environ["HW7_GRADER_SECRET"]
    assert list(seen.values()) == [None]


def test_a_dask_worker_grades_every_submission_with_the_one_zygote_and_pytest_session_it_keeps(bwrap, tmp_path):
    from grader.batch import Task
    from grader.cluster import DaskEngine
    from grader.pipeline import RunConfig, load_problems
    from grader.run_checks import Seeds, SeedTable
    from grader.zygote import ZygoteLauncher

    problems = load_problems(("seq2seq_translation",))
    names = ["correct", "tokens_swapped", "import_error"]
    engine = DaskEngine(RunConfig("grade", ("seq2seq_translation",), secret=""), "hw7-grader-session", jobs=1)
    try:
        for name in names:
            engine.submit(Task(name, snapshot.take(SEQ / name), ("seq2seq_translation",),
                               SeedTable.of(Seeds("s", name), problems), plugin="hw7-grader-session"))
        done = [engine.next_done(lambda: False) for _ in names]

        def session_of(dask_worker):
            session = dask_worker.plugins["hw7-grader-session"].grader.session
            return [(type(launcher).__name__, launcher.spawned, launcher.replaced, launcher.broken)
                    for launcher in session._launchers.values()], len(session._claims), list(session.notes)

        (launchers, claim_sessions, notes), = engine.client.run(session_of).values()
    finally:
        engine.close()
    scores = {d.task.student: d.result["report"]["parts"] for d in done}
    for name in names:
        expected = json.loads((SEQ / name / "expected.json").read_text())["parts"]
        parts = {p["part"]: p for p in scores[name]}
        assert {part: parts[part]["status"] if isinstance(want, str) else parts[part]["score"]
                for part, want in expected.items()} == expected, name
    # One zygote forked the three workers (none replaced, none fresh), and one pytest session ran all three.
    assert launchers == [(ZygoteLauncher.__name__, 3, 0, None)] and claim_sessions == 1, (launchers, notes)


MISBEHAVING = {  # what a tenth of a real batch does at import, one kind in five each
    "hang": "while True:\n    pass\n",
    "crash": "import ctypes\nctypes.string_at(0)\n",
    "memory": "blocks = []\nwhile True:\n    blocks.append(bytearray(64 << 20))\n",
    "forks": ("import os, time\nfor _ in range(400):\n    try:\n        if os.fork() == 0:\n            time.sleep(30)\n"
              "            os._exit(0)\n    except OSError:\n        break\ntime.sleep(60)\n"),
    "output": "import sys\nwhile True:\n    sys.stdout.write('x' * (1 << 20))\n",
}


@pytest.mark.slow
def test_a_batch_of_200_with_a_tenth_misbehaving_is_graded_whole_with_exit_0(bwrap, tmp_path):
    examples = sorted(p for p in SEQ.iterdir() if p.is_dir())
    batch = tmp_path / "batch"
    for i in range(180):
        example = examples[i % len(examples)]
        shutil.copytree(example, batch / f"s{i:03d}_{example.name}", ignore=shutil.ignore_patterns("expected.json"))
    for i in range(20):
        kind = list(MISBEHAVING)[i % len(MISBEHAVING)]
        (batch / f"bad{i:02d}_{kind}").mkdir()
        (batch / f"bad{i:02d}_{kind}" / "answers.py").write_text(MISBEHAVING[kind])
    config = tmp_path / "course.toml"
    config.write_text("[limits]\ntimeout_s = 3\nmemory_mib = 512\nprocesses = 64\noutput_mib = 1\n")
    out = tmp_path / "out"
    proc = grade(batch, out, "--config", str(config), sandbox=True, timeout=1500)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = results(out)
    assert len(got) == 200
    for name, res in got.items():
        if name.startswith("bad"):
            assert res["score"] == 0 and "while being imported" in res["output"], (name, res["output"])
            continue
        expected = json.loads((SEQ / name.split("_", 1)[1] / "expected.json").read_text())["parts"]
        parts = {p["part"]: p for p in json.loads((out / "_staff" / name / "report.json").read_text())["parts"]}
        got = {part: parts[part]["status"] if isinstance(want, str) else parts[part]["score"]
               for part, want in expected.items()}
        assert got == expected, name
    assert "failed to load 0, limit exceeded 16, grader errors 0" in proc.stderr, proc.stderr[-500:]  # crashes are no limit
    assert gradebook_rows(out, "SELECT state, COUNT(*) FROM submissions GROUP BY state") == [("graded", 200)]


@pytest.mark.parametrize("signum, jobs", [(signal.SIGTERM, "2"), (signal.SIGINT, "1")])
def test_a_signal_stops_the_batch_keeps_what_is_graded_and_the_next_run_finishes_it(tmp_path, signum, jobs):
    batch = small_batch(tmp_path / "batch", copies=1, slow=1.0)
    out = tmp_path / "out"
    run = subprocess.Popen(grade_args(batch, out, "--jobs", jobs), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(gradebook_rows(out, "SELECT 1 FROM submissions")) < 2:
            assert time.monotonic() < deadline and run.poll() is None, run.communicate()
            time.sleep(0.05)
        run.send_signal(signum)
        stopped_at = time.monotonic()
        stdout, stderr = run.communicate(timeout=60)
        assert time.monotonic() - stopped_at < 30
    finally:
        if run.poll() is None:
            kill_group(run)
    assert run.returncode == 128 + signum, stderr
    name = signal.Signals(signum).name
    assert f"stopped by {name}: " in stderr and "run the same command again to grade the rest" in stderr, stderr[-3000:]
    deadline = time.monotonic() + 30
    while group_alive(run.pid):  # workers and sandboxes stopped with it
        assert time.monotonic() < deadline, "processes of the stopped batch are still running"
        time.sleep(0.1)
    graded = [s for (s,) in gradebook_rows(out, "SELECT student FROM submissions")]
    assert 2 <= len(graded) < N
    assert json.loads((out / "_staff" / "batch.json").read_text())["students"] == sorted(graded)
    assert all((out / s / "results.json").is_file() for s in graded) and (out / "grades.csv").is_file()
    assert gradebook_rows(out, "SELECT state FROM runs") == [("interrupted",)]
    again = grade(batch, out, "--jobs", jobs)
    assert again.returncode == 0, again.stderr
    assert f"{len(graded)} skipped" in again.stdout and len(results(out)) == N
