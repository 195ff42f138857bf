"""Benchmark: what an idle embedded Dask cluster costs in CPU, with Dask's default upkeep and with the grader's.

Each of Dask's servers (the scheduler, every nanny and worker) runs periodic
callbacks whatever the load: an event-loop health check every 20 ms and a system
monitor every 0.5 s by default. On a 2-core machine that CPU is taken from the
sandboxes. This starts the embedded cluster's shape (scheduler, nannies and client
in this process, N one-thread workers) with Dask's defaults and then with
`grader.cluster.QUIET_UPKEEP`, lets each idle for --seconds, and prints the CPU
seconds per second of this process and of the workers, and their ratio.

    .venv/bin/python bench/bench_upkeep.py [--seconds 10] [--workers 2] [--runs 3]
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scheduler import cpu_seconds  # noqa: E402


def idle_cost(upkeep: dict | None, workers: int, seconds: float) -> tuple[float, float]:
    """(CPU seconds per second of this process, of all workers) for an idle cluster with these settings."""
    import dask.config
    from distributed import Client, Nanny, Scheduler, SpecCluster

    from grader.cluster import worker_config

    with dask.config.set(upkeep or {}):
        settings = worker_config() if upkeep else {"distributed": dask.config.merge(
            dask.config.get("distributed"), {"worker": {"profile": {"enabled": False}}})}
        spec = {f"w{i}": {"cls": Nanny, "options": {"nthreads": 1, "host": "127.0.0.1", "memory_limit": 0,
                                                    "silence_logs": logging.ERROR, "config": settings}}
                for i in range(workers)}
        cluster = SpecCluster(workers=spec, scheduler={"cls": Scheduler, "options": {
            "host": "127.0.0.1", "dashboard_address": None}}, silence_logs=logging.ERROR)
        client = Client(cluster, set_as_default=False)
    try:
        pids = [n.pid for n in cluster.workers.values()]
        time.sleep(2)  # past the start-up
        main0, work0 = cpu_seconds(os.getpid()), sum(cpu_seconds(p) for p in pids)
        time.sleep(seconds)
        main1, work1 = cpu_seconds(os.getpid()), sum(cpu_seconds(p) for p in pids)
        return (main1 - main0) / seconds, (work1 - work0) / seconds
    finally:
        client.close()
        cluster.close()


def main() -> None:
    """Run the benchmark and print the figures."""
    from grader.cluster import QUIET_UPKEEP

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.2f}, "
          f"{args.workers} workers idle {args.seconds:g} s, median of {args.runs}")
    figures = {}
    for name, upkeep in (("Dask's defaults", None), ("grader's QUIET_UPKEEP", QUIET_UPKEEP)):
        runs = [idle_cost(upkeep, args.workers, args.seconds) for _ in range(args.runs)]
        main_s, work_s = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
        figures[name] = main_s + work_s
        print(f"{name:<22}: {main_s:.4f} CPU s/s in the grader's process, {work_s:.4f} in the workers, "
              f"{main_s + work_s:.4f} in all")
    default, quiet = figures.values()
    print(f"upkeep with QUIET_UPKEEP: {quiet / default:.2f}x the default's ({default / quiet:.1f}x less)")


if __name__ == "__main__":
    main()
