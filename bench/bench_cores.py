"""Benchmark: how much two trainings at once slow each other on this machine's cores (the ceiling of --jobs 2).

A batch of HW7 with two jobs runs two students' `train` side by side, each in a
one-thread process. This runs the same kind of work (a small linear
autoencoder, full-batch SGD, one torch thread) in 1 process and in N at once,
and prints the median seconds of each and their ratio: 1.00 means the cores are
independent, so N jobs give N times the throughput; above 1, they share
something (a hyperthread sibling, a cache, the VM host's time).

    .venv/bin/python bench/bench_cores.py [--runs 5] [--steps 3000] [--procs 2]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

TRAIN = """
import sys, time, torch
torch.set_num_threads(1)
torch.manual_seed(0)
data = torch.randn(40, 6)
layers = torch.nn.Sequential(torch.nn.Linear(6, 2, bias=False), torch.nn.Linear(2, 6, bias=False))
opt = torch.optim.SGD(layers.parameters(), lr=0.1, weight_decay=1e-3)
sys.stdin.readline()  # every process starts its clock together, after importing torch
start = time.perf_counter()
for _ in range(int(sys.argv[1])):
    opt.zero_grad()
    torch.nn.functional.mse_loss(layers(data), data).backward()
    opt.step()
print(time.perf_counter() - start)
"""


def side_by_side(n: int, steps: int) -> list[float]:
    """Seconds of each of `n` trainings started together."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", TRAIN, str(steps)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=env) for _ in range(n)]
    for p in procs:  # torch imported in each (they block on stdin meanwhile), then all go at once
        p.stdin.write("go\n")
        p.stdin.flush()
    return [float(p.communicate()[0]) for p in procs]


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--procs", type=int, default=2)
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}")
    alone, together = [], []
    for _ in range(args.runs):  # interleaved, so that a change in the host's speed hits both alike
        alone += side_by_side(1, args.steps)
        together += side_by_side(args.procs, args.steps)
    a, t = statistics.median(alone), statistics.median(together)
    print(f"{args.steps} SGD steps alone: median {a:.3f} s; {args.procs} at once: median {t:.3f} s each; "
          f"slow-down {t / a:.2f}x, so {args.procs} jobs give {args.procs * a / t:.2f}x the throughput of one")


if __name__ == "__main__":
    main()
