"""Benchmark: what the batch machinery itself costs per submission, with grading taken out.

A simulated cluster on this machine: a `dask scheduler` process and several
one-thread `dask worker` processes on 127.0.0.1. Then N trivial submissions
(one small answers.py each) go through the real `grader.batch.Batch` with
its real snapshot, hashing, task data, gradebook rows and per-student files,
but a grading function that only unpacks the snapshot and returns an
all-zero report of the real size. What is left is the cost of the batch and
of Dask; the scheduler's CPU seconds (read from /proc) say how many
submissions per second one scheduler can hand out before it is the
bottleneck. Run with `.venv/bin/python bench/bench_scheduler.py [--submissions N] [--workers N]`.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.batch import Batch, BatchOptions  # noqa: E402
from grader.cluster import DaskEngine  # noqa: E402
from grader.model import NOT_ANSWERED  # noqa: E402
from grader.pipeline import RunConfig, nothing_earned  # noqa: E402
from grader.sandbox import SandboxConfig  # noqa: E402

DASK = Path(sys.executable).with_name("dask")
ANSWERS = (ROOT / "submissions" / "examples" / "seq2seq_translation" / "correct" / "answers.py").read_text()


def trivial_grade(path, problems, config, *, seeds):
    """Read the unpacked submission and return a report of the real size that grades nothing."""
    sum(len(p.read_bytes()) for p in Path(path).rglob("*") if p.is_file())
    return nothing_earned(Path(path).name, problems, config, kind="module", why="benchmark: not graded",
                          status=NOT_ANSWERED)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_cluster(workers: int, tmp: Path):
    """A scheduler and `workers` one-thread workers; (address, processes)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("HW7_GRADER_SECRET", None)
    sched_file = tmp / "scheduler.json"
    sched = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                              "--scheduler-file", str(sched_file)], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    while not sched_file.exists() or not sched_file.read_text().strip():
        time.sleep(0.1)
    address = json.loads(sched_file.read_text())["address"]
    procs = [sched] + [subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--no-nanny",
                                         "--no-dashboard", "--memory-limit", "0", "--name", f"w{i}"],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True) for i in range(workers)]
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def run(n: int, address: str, tmp: Path, sched_pid: int) -> tuple[float, float]:
    """(wall seconds, scheduler CPU seconds) for one batch of `n` trivial submissions."""
    batch = tmp / f"batch{n}"
    for i in range(n):
        (batch / f"s{i:05d}").mkdir(parents=True)
        (batch / f"s{i:05d}" / "answers.py").write_text(ANSWERS + f"\n# student {i}\n")
    paths = sorted(batch.iterdir())
    config = RunConfig("grade", ("seq2seq_translation",), SandboxConfig(use_bwrap=False), "bench-secret")
    options = BatchOptions(scheduler=address, progress_every=3600, bar=False)
    factory = lambda b: DaskEngine(b.worker_config, b.plugin, address, grade=trivial_grade)  # noqa: E731
    cpu0 = cpu_seconds(sched_pid)
    start = time.perf_counter()
    result = Batch(paths, config, tmp / f"out{n}", options, stream=io.StringIO(), engine_factory=factory).run()
    wall = time.perf_counter() - start
    assert result.graded == n, result
    return wall, cpu_seconds(sched_pid) - cpu0


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--submissions", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"simulated cluster: 1 scheduler + {args.workers} one-thread workers on 127.0.0.1")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        address, procs = start_cluster(args.workers, tmp)
        try:
            run(20, address, tmp, procs[0].pid)  # warm-up: workers import the problems once
            for n in sorted({max(args.submissions // 10, 1), args.submissions}):
                wall, sched_cpu = run(n, address, tmp, procs[0].pid)
                print(f"{n} trivial submissions: {wall:.1f} s, {wall / n * 1000:.1f} ms per submission "
                      f"({n / wall:.0f} per second); scheduler CPU {sched_cpu / n * 1000:.2f} ms per submission "
                      f"(one scheduler could hand out about {n / max(sched_cpu, 1e-9):.0f} per second)")
        finally:
            for p in procs:
                p.kill()
                p.wait()


if __name__ == "__main__":
    main()
