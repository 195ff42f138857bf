"""Benchmark: `grader check` on a correct submission, and `grader grade` per submission, with and without the sandbox.

Prints medians over several runs and the sandbox's cost as a difference and a
ratio against the unsandboxed peer run in the same process. Run with
`.venv/bin/python bench/bench_grader.py [--runs N] [--copies N]`.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "submissions" / "examples" / "seq2seq_translation" / "correct"


def timed(cmd: list[str]) -> float:
    """Wall time of one command; fails loudly when the command fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return took


def median_of(cmd: list[str], runs: int) -> float:
    """Median wall time over `runs` runs, after one warm-up."""
    timed(cmd)
    return statistics.median(timed(cmd) for _ in range(runs))


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--copies", type=int, default=20, help="submissions in the batch for `grade`")
    ap.add_argument("--problem", default="seq2seq_translation")
    args = ap.parse_args()
    grader = [sys.executable, "-m", "grader"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"bwrap: {'yes' if shutil.which('bwrap') else 'no'}")
    check_sb = median_of(grader + ["check", str(CORRECT), "--problem", args.problem], args.runs)
    check_plain = median_of(grader + ["check", str(CORRECT), "--problem", args.problem, "--no-sandbox"], args.runs)
    print(f"grader check (correct {args.problem}), median of {args.runs}: sandbox {check_sb * 1000:.0f} ms, "
          f"no sandbox {check_plain * 1000:.0f} ms, ratio {check_sb / check_plain:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        batch = Path(tmp) / "batch"
        batch.mkdir()
        for i in range(args.copies):
            shutil.copytree(CORRECT, batch / f"student{i:03d}")
        base = grader + ["grade", str(batch), "--problem", args.problem, "--jobs", "1"]
        sb = median_of(base + ["--out", f"{tmp}/o1"], max(3, args.runs // 2)) / args.copies
        plain = median_of(base + ["--out", f"{tmp}/o2", "--no-sandbox"], max(3, args.runs // 2)) / args.copies
        print(f"grader grade, {args.copies} submissions, 1 job, per submission: sandbox {sb * 1000:.0f} ms, "
              f"no sandbox {plain * 1000:.0f} ms, sandbox adds {(sb - plain) * 1000:.0f} ms "
              f"(ratio {sb / plain:.2f})")
        jobs = os.cpu_count() or 1
        par = median_of(grader + ["grade", str(batch), "--problem", args.problem, "--out", f"{tmp}/o3"],
                        max(3, args.runs // 2)) / args.copies
        print(f"grader grade, {args.copies} submissions, {jobs} jobs, per submission: sandbox {par * 1000:.0f} ms")


if __name__ == "__main__":
    main()
