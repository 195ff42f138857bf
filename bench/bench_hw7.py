"""Benchmark: the whole HW7, correct, for a student (`grader check`) and for a TA (`grader grade`, many copies).

The submission is the four problems' correct examples in one answers.py (it
imports torch and trains the regularized autoencoder twice when graded).
Printed, sandbox on:

- `grader check` on it: the median of --check-runs fresh runs of the command;
- `grader grade` of --copies copies: seconds per submission (one run of the command);
- the same copies graded in this process, with a `GradingSession` (zygote workers,
  one pytest session) and, as the peer run, with a fresh worker process and
  pytest session per submission: medians and their ratio;
- where one submission's time goes: each stage, and the slowest claims.

    .venv/bin/python bench/bench_hw7.py [--copies 100] [--check-runs 5] [--peer-copies 6] [--jobs N]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_batch import cpu_text, machine_speed, measured  # noqa: E402
EXAMPLES = ROOT / "submissions" / "examples"
PARTS = ("seq2seq_translation/correct", "pca_autoencoder/correct_plain", "resnet_blog/correct_numbers",
         "regularized_autoencoder/correct_mean_loss")


def whole_hw7(folder: Path) -> Path:
    """A folder holding one correct answers.py for every problem."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n\n".join((EXAMPLES / p / "answers.py").read_text() for p in PARTS)
    (folder / "answers.py").write_text(text)
    return folder


def run(cmd: list[str], cwd: Path, cpu: list | None = None) -> float:
    """Wall time of a command of ours (its CPU seconds appended to `cpu`); stops the benchmark when it fails."""
    env = dict(os.environ, HW7_GRADER_SECRET="bench-secret", PYTHONPATH=str(ROOT))
    proc, took, used = measured(cmd, cwd=cwd, env=env)
    if cpu is not None:
        cpu.append(used)
    if proc.returncode not in (0, 1):
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return took


def in_process(sub: Path, copies: int) -> tuple[float, float, object]:
    """Median seconds per submission with a session and with fresh starts, and the session's last report."""
    from grader.pipeline import GradingSession, RunConfig, grade_submission, load_problems
    from grader.sandbox import SandboxConfig

    problems = load_problems()
    config = RunConfig("grade", (), SandboxConfig(use_bwrap=True), "bench-secret")
    fresh = []
    for _ in range(copies):
        start = time.perf_counter()
        grade_submission(sub, problems, config)
        fresh.append(time.perf_counter() - start)
    reused = []
    with GradingSession() as session:
        session.grade(sub, problems, config)  # the zygote's start-up and the first collection, paid once
        for _ in range(copies):
            start = time.perf_counter()
            report = session.grade(sub, problems, config)
            reused.append(time.perf_counter() - start)
    return statistics.median(reused), statistics.median(fresh), report


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=100)
    ap.add_argument("--check-runs", type=int, default=5)
    ap.add_argument("--peer-copies", type=int, default=6)
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    grader = [sys.executable, "-m", "grader"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"bwrap: {'yes' if shutil.which('bwrap') else 'no'}, load average {os.getloadavg()[0]:.2f}")
    print(f"before: {machine_speed()}")
    with tempfile.TemporaryDirectory(prefix="hw7-bench-") as tmp_name:
        tmp = Path(tmp_name)
        sub = whole_hw7(tmp / "whole")
        run(grader + ["check", str(sub)], tmp)  # warm the page cache
        checks = sorted(run(grader + ["check", str(sub)], tmp) for _ in range(args.check_runs))
        print(f"grader check, whole HW7 correct: median {statistics.median(checks):.2f} s "
              f"(of {args.check_runs}: {', '.join(f'{c:.2f}' for c in checks)})")
        batch = tmp / "batch"
        batch.mkdir()
        for i in range(args.copies):
            shutil.copytree(sub, batch / f"student{i:04d}")
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        cpu: list = []
        took = run(grader + ["grade", str(batch), "--out", str(tmp / "out")] + jobs, tmp, cpu)
        print(f"grader grade, {args.copies} whole HW7 submissions, {args.jobs or os.cpu_count()} jobs: {took:.1f} s, "
              f"{took / args.copies:.3f} s per submission" + cpu_text(cpu[0], args.copies))
        reused, fresh, report = in_process(sub, args.peer_copies)
        print(f"one process, one job, median of {args.peer_copies}: {reused:.3f} s per submission with a session, "
              f"{fresh:.3f} s with fresh starts (the peer run): {fresh / reused:.1f}x")
        print("where one submission's time goes (session, after the first):")
        for stage in report.stages:
            print(f"  {stage.stage:<10} {stage.seconds * 1000:8.1f} ms")
        for c in sorted(report.checks, key=lambda c: -c.seconds)[:5]:
            print(f"    claim {c.problem}.{c.claim}: {c.seconds * 1000:.1f} ms")
    print(f"after: {machine_speed()}")


if __name__ == "__main__":
    main()
