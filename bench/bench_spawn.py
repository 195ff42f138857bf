"""Benchmark: what a worker costs before the first claim runs, fresh bubblewrap process against a zygote's child.

For an answers.py that imports numpy, and one that imports torch (and trains one
step, as an optimizer's first step imports torch._dynamo), prints the medians of
starting a worker, importing the submission and getting a value from it
(`Answers.start` and one `value`), and of closing it, each way; the zygote's own
start-up is printed once, as a batch pays it once per job.

    .venv/bin/python bench/bench_spawn.py [--runs 10]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SUBMISSIONS = {
    "numpy": "import numpy as np\nx = int(np.arange(4).sum())\n",
    "torch": ("import torch\nlayer = torch.nn.Linear(3, 2)\nopt = torch.optim.SGD(layer.parameters(), lr=0.1)\n"
              "layer(torch.ones(1, 3)).sum().backward()\nopt.step()\nx = 6\n"),
}


def timed_worker(sub, config, launcher) -> tuple[float, float]:
    """(seconds to start, import and answer one value; seconds to close)."""
    from grader.collect import Answers

    start = time.perf_counter()
    answers = Answers(sub, config, launcher)
    answers.start()
    assert answers.value("x") == 6
    ready = time.perf_counter() - start
    start = time.perf_counter()
    answers.close()
    return ready, time.perf_counter() - start


def main() -> None:
    """Measure both ways for both submissions and print the medians."""
    from grader.load import load
    from grader.sandbox import ProcessLauncher, SandboxConfig
    from grader.zygote import ZygoteLauncher

    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    config = SandboxConfig(use_bwrap=True)
    with tempfile.TemporaryDirectory(prefix="hw7-bench-spawn-") as tmp:
        for name, code in SUBMISSIONS.items():
            folder = Path(tmp) / name
            folder.mkdir()
            (folder / "answers.py").write_text(code)
            sub = load(folder, Path(tmp) / f"scratch-{name}")
            fresh = [timed_worker(sub, config, ProcessLauncher()) for _ in range(args.runs)]
            start = time.perf_counter()
            with ZygoteLauncher(config, ("numpy",) + (("torch",) if name == "torch" else ())) as zygote:
                zygote.zygote.wait_ready()
                started = time.perf_counter() - start
                timed_worker(sub, config, zygote)  # the first child faults the libraries' pages in
                forked = [timed_worker(sub, config, zygote) for _ in range(args.runs)]
            f_ready, f_close = (statistics.median(x) for x in zip(*fresh))
            z_ready, z_close = (statistics.median(x) for x in zip(*forked))
            print(f"{name}: fresh worker {f_ready * 1000:.0f} ms to answer + {f_close * 1000:.0f} ms to close; "
                  f"zygote child {z_ready * 1000:.0f} ms + {z_close * 1000:.0f} ms "
                  f"({(f_ready + f_close) / (z_ready + z_close):.1f}x); the zygote's own start {started:.2f} s")


if __name__ == "__main__":
    main()
