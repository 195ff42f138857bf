"""Benchmark: seconds per submission and memory as a batch grows (50, 200, 1,000 submissions).

The answers are bench_batch.py's small homework without the ones that hang (a
hang costs the full timeout whatever the batch size, which would only blur the
trend). Each size is one run of `grader grade` (sandbox on, --timeout 10).
Printed per size: the whole run's seconds per submission (start-up and the
final reports included), and the steady rate: the time from the first graded
submission to the last (when the gradebook recorded them), per submission. While
it runs, every process of the grader's tree is sampled (main process, job
processes, zygotes, their children): printed are the peak of their summed PSS
(shared pages counted once) and the peak RSS of the main process.

    .venv/bin/python bench/bench_scale.py [--sizes 50 200 1000] [--jobs N]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import COURSE, ROOT, TIMEOUT_S, make_answers, write_ours  # noqa: E402

MiB = 1 << 20


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [p for p, pp in parents.items() if pp in frontier]
        tree += frontier
    return tree


def _kib(path: str, field: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(field):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Sampler(threading.Thread):
    """Peak summed PSS of a process tree and peak RSS of its root, sampled every `every` s."""

    def __init__(self, pid: int, every: float = 0.5):
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_pss = self.peak_root_rss = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pss = sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in _tree(self.pid))
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_root_rss = max(self.peak_root_rss, _kib(f"/proc/{self.pid}/status", "VmRSS:"))
            self.done.wait(self.every)


def grade(subs: Path, out: Path, jobs: int | None) -> tuple[float, float, Sampler]:
    """One `grader grade` run: its seconds, the seconds from its first graded submission to its last, its memory."""
    env = dict(os.environ, PYTHONPATH=f"{COURSE}{os.pathsep}{ROOT}", HW7_GRADER_SECRET="bench-secret")
    cmd = [sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--timeout", str(TIMEOUT_S)]
    cmd += ["--jobs", str(jobs)] if jobs else []
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=out.parent, env=env)
    sampler = Sampler(proc.pid)
    sampler.start()
    err = proc.stderr.read()
    proc.wait()
    took = time.perf_counter() - start
    sampler.done.set()
    sampler.join()
    if proc.returncode != 0:
        sys.exit(f"our grader failed ({proc.returncode}):\n{err[-3000:]}")
    # When each submission's row was committed (as it finished): a batch this big logs no line per submission.
    book = sqlite3.connect(out / "_staff" / "gradebook.sqlite")
    try:
        first, last = book.execute("SELECT MIN(recorded_at), MAX(recorded_at) FROM submissions").fetchone()
    finally:
        book.close()
    return took, (last - first) if last is not None and last > first else took, sampler


def main() -> None:
    """Grade each size once and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    ap.add_argument("--jobs", type=int, default=None)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    first = None
    with tempfile.TemporaryDirectory(prefix="hw7-bench-scale-") as tmp_name:
        for n in args.sizes:
            answers = [a for a in make_answers(int(n * 1.2) + 20) if a[1] != "hang"][:n]
            home = Path(tmp_name) / f"n{n}"
            write_ours(answers, home / "subs")
            took, steady, sampler = grade(home / "subs", home / "out", args.jobs)
            per, rate = took / n, steady / (n - 1)
            first = first or rate
            print(f"{n:>5} submissions: {took:6.1f} s in all, {per * 1000:6.1f} ms per submission; steady "
                  f"{rate * 1000:6.1f} ms per submission ({rate / first:.2f}x the first size's); peak memory: "
                  f"{sampler.peak_pss * 1024 / MiB:.0f} MiB summed PSS over the grader's processes, "
                  f"{sampler.peak_root_rss * 1024 / MiB:.0f} MiB RSS of the main one")
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
