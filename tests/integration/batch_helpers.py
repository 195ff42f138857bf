"""Helpers for the batch tests: small batches, `grader grade` runs, a real Dask cluster, output comparison."""
from __future__ import annotations

import contextlib
import json
import re
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT

SEQ = EXAMPLES / "seq2seq_translation"
DASK = Path(sys.executable).with_name("dask")
SECRET_ENV = "HW7_GRADER_SECRET"


def env(**extra) -> dict:
    """The environment of a grader run: this checkout's code, a known secret."""
    return dict(os.environ, PYTHONPATH=str(ROOT), **{SECRET_ENV: "batch-test-secret"}, **extra)


def small_batch(where: Path, copies: int = 2, slow: float = 0.0) -> Path:
    """`copies` copies of every seq2seq example (20 submissions for 2), each sleeping `slow` s at import."""
    where.mkdir(parents=True, exist_ok=True)
    for i in range(copies):
        for example in sorted(p for p in SEQ.iterdir() if p.is_dir()):
            dest = where / f"{example.name}_{i}"
            shutil.copytree(example, dest, ignore=shutil.ignore_patterns("expected.json"))
            answers = dest / "answers.py"
            if slow and answers.exists():
                answers.write_text(f"import time\ntime.sleep({slow})\n" + answers.read_text())
    return where


def grade_args(batch: Path, out: Path, *extra: str, sandbox: bool = False,
               problems: tuple = ("seq2seq_translation",)) -> list[str]:
    """The `grader grade` command line for a batch (of seq2seq submissions unless `problems` says otherwise)."""
    chosen = [arg for p in problems for arg in ("--problem", p)]
    return [sys.executable, "-m", "grader", "grade", str(batch), "--out", str(out), *chosen,
            *([] if sandbox else ["--no-sandbox"]), *extra]


def grader_command(*args: str) -> list[str]:
    """A `grader` command line."""
    return [sys.executable, "-m", "grader", *args]


def grade(batch: Path, out: Path, *extra: str, sandbox: bool = False, timeout: float = 300):
    """Run `grader grade` to its end."""
    return subprocess.run(grade_args(batch, out, *extra, sandbox=sandbox), capture_output=True, text=True,
                          env=env(), timeout=timeout, cwd=ROOT)


TIMING_KEYS = ("seconds", "execution_time")  # a stage's seconds; results.json's whole time (Gradescope's field)


def strip_timings(data):
    """JSON data without its timings (the only thing two gradings of the same files may differ in)."""
    if isinstance(data, dict):
        return {k: strip_timings(v) for k, v in data.items() if k not in TIMING_KEYS}
    if isinstance(data, list):
        return [strip_timings(v) for v in data]
    return data


TIMING_ROW = re.compile(rb'<tr class="timing">.*?</tr>\n?', re.S)


def outputs(out: Path) -> dict[str, object]:
    """Every file of an --out folder but the staff's gradebook: path -> bytes (report.json, results.json and
    summary.html without timings)."""
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith("_staff/gradebook"):
            continue
        if path.name in ("report.json", "results.json"):
            files[rel] = strip_timings(json.loads(path.read_text()))
        elif rel == "summary.html":  # its "slowest submissions" rows are timings: which, and their seconds
            files[rel] = TIMING_ROW.sub(b"", path.read_bytes())
        else:
            files[rel] = path.read_bytes()
    return files


def gradebook_rows(out: Path, query: str) -> list[tuple]:
    """Rows of a query on OUT's gradebook, read-only (the run writing it may still be going)."""
    path = out / "_staff" / "gradebook.sqlite"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(query).fetchall()
    except sqlite3.OperationalError:  # the tables are not made yet
        return []
    finally:
        db.close()


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL a process started with start_new_session=True, and everything in its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def group_alive(pgid: int) -> bool:
    """Whether any process of the process group is left."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Cluster:
    """A real Dask cluster of separate processes on 127.0.0.1."""

    address: str
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)
    scheduler: subprocess.Popen | None = None

    def kill_worker(self, name: str) -> None:
        """kill -9 one worker."""
        kill_group(self.workers[name])


@contextlib.contextmanager
def dask_cluster(tmp_path: Path, workers: dict[str, str]):
    """A `dask scheduler` and one `dask worker` per name (value: its --resources, or ""), stopped at the end."""
    from distributed import Client

    sched_file = tmp_path / "scheduler.json"
    worker_env = {k: v for k, v in env().items() if k != SECRET_ENV}  # a worker never has the secret
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "dask-logs"
    logs.mkdir(exist_ok=True)
    cluster = None
    try:
        sched = subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(sched_file)], env=worker_env, start_new_session=True,
                                 stdout=open(logs / "scheduler.log", "w"), stderr=subprocess.STDOUT, cwd=ROOT)
        procs.append(sched)
        deadline = time.monotonic() + 60
        while not sched_file.exists() or not sched_file.read_text().strip():
            assert time.monotonic() < deadline and sched.poll() is None, (logs / "scheduler.log").read_text()
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        cluster = Cluster(address, scheduler=sched)
        for name, resources in workers.items():
            cmd = [str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-nanny", "--name", name,
                   "--no-dashboard", "--memory-limit", "0"]
            if resources:
                cmd += ["--resources", resources]
            proc = subprocess.Popen(cmd, env=worker_env, start_new_session=True, cwd=ROOT,
                                    stdout=open(logs / f"{name}.log", "w"), stderr=subprocess.STDOUT)
            procs.append(proc)
            cluster.workers[name] = proc
        with Client(address, timeout=30) as client:
            client.wait_for_workers(len(workers), timeout=90)
        yield cluster
    finally:
        for proc in reversed(procs):
            kill_group(proc)
