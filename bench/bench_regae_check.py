"""Benchmark `grader check` on a correct regularized_autoencoder submission (target: under 8 s on 2 cores).

    python bench/bench_regae_check.py                 # 3 runs of the CLI, end to end
    python bench/bench_regae_check.py --runs 5 --scenario minibatch_sgd

Each run is a fresh `grader check` process (so the grader's own start-up, the
sandbox and the torch import in it are all counted), on one example from
submissions/examples/regularized_autoencoder/. Prints each run's wall time,
the median, and the stage timings of one in-process run.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere inside the checkout

TARGET_S = 8.0


def cli_run(folder: Path) -> tuple[float, int]:
    """Wall seconds and exit code of one `grader check` process on `folder`."""
    start = time.perf_counter()
    command = [sys.executable, "-m", "grader", "check", str(folder), "--problem", "regularized_autoencoder"]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - start, proc.returncode


def stage_times(folder: Path) -> list[tuple[str, float]]:
    """The stage and claim timings of one in-process check run."""
    from grader.pipeline import grade_path

    report = grade_path(folder, mode="check", problems=("regularized_autoencoder",))
    rows = [(f"stage {o.stage}", o.seconds) for o in report.stages]
    rows += [(f"claim {c.part}.{c.claim}", c.seconds) for c in report.checks]
    return rows


def main() -> int:
    """Run the benchmark and print the numbers; exit 1 when the median misses the target."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenario", default="correct_sum_loss")
    args = ap.parse_args()
    folder = ROOT / "submissions" / "examples" / "regularized_autoencoder" / args.scenario
    times = []
    for i in range(args.runs):
        seconds, code = cli_run(folder)
        times.append(seconds)
        print(f"run {i + 1}: {seconds:.2f} s (exit {code})")
    median = statistics.median(times)
    print(f"median of {args.runs}: {median:.2f} s (target {TARGET_S:.0f} s): {'ok' if median < TARGET_S else 'SLOW'}")
    for name, seconds in stage_times(folder):
        print(f"  {name:<75} {seconds:6.2f} s")
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
