"""Dask's side of a batch: the worker plugin that sets a grader up once per worker, and the engine.

Imported only when a batch runs on Dask (importing distributed takes most
of a second, which a student's `grader check` should not pay).
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import signal
import shutil
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Callable

from distributed.diagnostics.plugin import WorkerPlugin

from grader.batch import Done, SubmissionGrader, Task
from grader.errors import GraderError
from grader.model import Report
from grader.pipeline import STOPPED, RunConfig
from grader.sandbox import SandboxConfig, Worker, self_test


# Dask's own upkeep, slowed down for the embedded cluster: each of its servers (the scheduler, every nanny and
# worker) checks its event loop's health every 20 ms and samples the system's load every 0.5 s, for warnings
# and a dashboard that nobody sees here. Idle, the upkeep of a 2-worker cluster costs 0.07 s of CPU a second
# (0.013 s with these settings: bench/bench_upkeep.py), CPU that a small machine takes from grading.
QUIET_UPKEEP = {"distributed.admin.tick.interval": "1s", "distributed.admin.tick.limit": "10s",
                "distributed.admin.system-monitor.interval": "5s"}


def worker_config() -> dict:
    """Dask's settings for the embedded cluster's workers: the usual ones, without the statistical profiler.

    The profiler samples every worker's threads every 10 ms for a dashboard nobody opens here; on a
    machine whose cores the workers share with their sandboxes, that is CPU taken from grading. The upkeep
    is slowed down as well (QUIET_UPKEEP). (A Nanny replaces whole top-level sections of the config it is
    given, hence the whole `distributed` section.)
    """
    import dask.config

    with dask.config.set(QUIET_UPKEEP):
        return {"distributed": dask.config.merge(dask.config.get("distributed"),
                                                 {"worker": {"profile": {"enabled": False}}})}


class GraderPlugin(WorkerPlugin):
    """Sets a SubmissionGrader up once on each Dask worker (and on workers that join later), closed at its end.

    The worker keeps it, with its GradingSession (one sandbox zygote, one pytest session), for every
    submission it grades, as a pool process of its own would.
    """

    def __init__(self, config: RunConfig, name: str, grade: Callable[..., Report] | None = None,
                 embedded: bool = False):
        self.config = config
        self.name = name
        self.grade = grade
        self.embedded = embedded
        self.grader: SubmissionGrader | None = None

    def setup(self, worker):
        """Load the problems, check the sandbox (a node without bwrap is refused), start the zygote."""
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (the cluster stopping, an admin's kill) kills this worker's sandboxes first, then the worker
            # at once: an exception would be caught, mid-claim, by pytest as a failed check.
            signal.signal(signal.SIGTERM, functools.partial(_stop_now, self))
        if self.config.sandbox.use_bwrap and not self.embedded:
            # A node of a cluster must prove its sandbox; the embedded workers run on the machine whose
            # sandbox `grader grade` tested a moment ago, and a second test each would only delay the start.
            self_test(SandboxConfig(use_bwrap=True))
        self.grader = SubmissionGrader(self.config, self.grade)
        # Here, in the worker's event-loop thread (it lasts as long as the worker), not in a task's thread:
        # the zygote dies with the thread that started it. It imports while the worker waits for its first task.
        self.grader.prepare()

    def teardown(self, worker):
        """Stop the worker's zygote and end its pytest sessions."""
        if self.grader is not None:
            self.grader.close()
            self.grader = None


def _stop_now(plugin: GraderPlugin, signum, frame) -> None:
    Worker.kill_live(STOPPED)
    if plugin.grader is not None:
        plugin.grader.abandon()  # the zygote, and its staging folder under /tmp, which no teardown would remove
    os._exit(128 + signum)


def grade_on_worker(task: Task) -> dict:
    """The Dask task: grade `task` with this worker's SubmissionGrader."""
    from distributed import get_worker

    worker = get_worker()
    return worker.plugins[task.plugin].grader(task, worker.name if isinstance(worker.name, str) else
                                              f"{worker.address}")


@contextlib.contextmanager
def _without_env(name: str):
    """`name` removed from this process's environment meanwhile, so that processes started now never see it."""
    value = os.environ.pop(name, None)
    try:
        yield
    finally:
        if value is not None:
            os.environ[name] = value


class DaskEngine:
    """Tasks as Dask futures: on an embedded cluster of one-thread workers, or on the cluster at `scheduler`."""

    def __init__(self, config: RunConfig, plugin: str, scheduler: str | None = None, jobs: int | None = None,
                 grade: Callable[..., Report] | None = None):
        logging.getLogger("distributed").setLevel(logging.ERROR)  # a dead worker is our business, not a traceback
        import dask.config
        from distributed import Client, Nanny, Scheduler, SpecCluster

        self.cluster = None
        self._scratch: Path | None = None
        # The secret must never reach a worker: they get seeds, and the variable is hidden while they start.
        with _without_env(config.course.secret_env):
            if scheduler:
                try:
                    self.client = Client(scheduler, timeout=20, set_as_default=False)
                except (OSError, TimeoutError) as exc:
                    raise GraderError(f"--scheduler: expected a running Dask scheduler at {scheduler}, got no answer "
                                      f"({exc}). Start one with `dask scheduler` (and workers with `dask worker "
                                      f"{scheduler} --nthreads 1`), or leave out --scheduler to grade here.") from None
                self.name = f"dask {scheduler}"
            else:
                n = jobs or os.cpu_count() or 1
                gpu = config.sandbox.gpu
                settings = worker_config()
                # The workers' temporary files (each task's snapshot, the zygote's staging folder) go in one
                # folder of ours, removed when the cluster is closed: a worker ended by a signal cannot clean up.
                self._scratch = Path(tempfile.mkdtemp(prefix="hw7-batch-"))
                workers = {f"local-{i}": {"cls": Nanny, "options": {
                    "nthreads": 1, "host": "127.0.0.1", "memory_limit": 0, "silence_logs": logging.ERROR,
                    "config": settings, "env": {"TMPDIR": str(self._scratch)},
                    # One GPU worker: timed parts queue for it instead of sharing the GPU.
                    "resources": {"GPU": 1} if gpu and i == 0 else {}}} for i in range(n)}
                # Ctrl-C in a terminal reaches the whole process group: the workers, started while SIGINT is
                # ignored, keep ignoring it, and the grader's stop request ends them in order.
                main = threading.current_thread() is threading.main_thread()
                previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
                try:
                    # The scheduler, the nannies and the client live in this process: they read the config now.
                    with dask.config.set(QUIET_UPKEEP):
                        self.cluster = SpecCluster(workers=workers, scheduler={"cls": Scheduler, "options": {
                            "host": "127.0.0.1", "dashboard_address": None}}, silence_logs=logging.ERROR)
                        self.client = Client(self.cluster, set_as_default=False)
                finally:
                    if main:
                        signal.signal(signal.SIGINT, previous)
                self.name = f"dask local cluster, {n} worker(s)"
        self.plugin = plugin
        try:
            self.client.register_plugin(GraderPlugin(config, plugin, grade, embedded=not scheduler), name=plugin)
        except Exception as exc:  # raised on a worker (no bwrap there, a broken problem): nothing can be graded
            self.close()
            raise GraderError(f"a Dask worker could not set up the grader: {type(exc).__name__}: {exc}") from None
        info = self.client.scheduler_info()["workers"].values()
        if not info and scheduler:
            self.client.wait_for_workers(1, timeout=60)
            info = self.client.scheduler_info()["workers"].values()
        self.has_gpu = any(w.get("resources", {}).get("GPU", 0) >= 1 for w in info)
        threads = sum(w.get("nthreads", 1) for w in info)
        if any(w.get("nthreads", 1) > 1 for w in info):
            print("note: some Dask workers have several threads; each grades one submission at a time "
                  "(start them with --nthreads 1 and more --nworkers instead)", file=sys.stderr)
        self.slots = max(2 * len(info), threads, 2)
        self._done: queue.Queue = queue.Queue()  # futures as they finish (put by the client's event loop)
        self._tasks: dict[str, Task] = {}
        self._futures: dict[str, object] = {}

    def submit(self, task: Task, resources: dict | None = None) -> None:
        """Send one task (its snapshot is task data: the worker needs no shared disk)."""
        key = f"grade-{task.student}-{uuid.uuid4().hex[:8]}"
        arg = task
        if task.snapshot.size > 1 << 20:  # big graphs make the scheduler slow: send big snapshots on their own
            arg = self.client.scatter(task, hash=False)
        future = self.client.submit(grade_on_worker, arg, key=key, resources=resources or None, pure=False)
        self._tasks[key] = task
        self._futures[key] = future
        future.add_done_callback(self._done.put)

    def next_done(self, stopping: Callable[[], bool]) -> Done | None:
        """The next task to finish, in completion order; None as soon as `stopping()`."""
        while True:
            if stopping():
                return None
            try:
                future = self._done.get(timeout=0.1)
                break
            except queue.Empty:
                continue
        task = self._tasks.pop(future.key)
        self._futures.pop(future.key, None)
        try:
            return Done(task, future.result())
        except Exception as exc:  # KilledWorker (a worker died on it again and again) or a lost connection
            return Done(task, None, f"{type(exc).__name__}: {exc}")
        finally:
            future.release()

    def close(self, stopping: bool = False) -> None:
        """Stop: cancel what is left, and end the embedded cluster's workers (and so their sandboxes).

        When `stopping` (a signal), the embedded workers are sent SIGTERM at once: each kills its sandboxes and
        exits, without waiting for the submission in hand. Workers of a cluster at --scheduler are not ours:
        their tasks are cancelled, and a submission already being graded there finishes on its own.
        """
        if stopping:
            # A SIGTERM sent to the whole process group ended the workers before we could; their nannies may be
            # restarting them, and the restarts we now cut short are logged as errors: not the TA's concern.
            logging.getLogger("distributed").setLevel(logging.CRITICAL)
        try:
            if stopping and self.cluster is not None:
                for nanny in list(self.cluster.workers.values()):
                    nanny.close_gracefully()  # no restart of the worker we end now
                    with contextlib.suppress(ProcessLookupError, TypeError):
                        os.kill(nanny.pid, signal.SIGTERM)
            if self._futures:
                with contextlib.suppress(Exception):  # the cluster may be going already
                    self.client.cancel(list(self._futures.values()), force=True)
            if self.cluster is None and not stopping:
                # Workers of a cluster at --scheduler outlive the batch: their plugin's zygotes and pytest
                # sessions are ended now, not left holding memory until the worker stops.
                try:
                    self.client.unregister_worker_plugin(self.plugin)
                except Exception as exc:  # raised on a worker, or the cluster going: said, and nothing is lost
                    print(f"note: the grader's sessions on the cluster's workers end only when they stop "
                          f"({type(exc).__name__}: {exc})", file=sys.stderr)
            self.client.close(timeout=5 if stopping else 10)
        finally:
            try:
                if self.cluster is not None:
                    self.cluster.close(timeout=5 if stopping else 10)
            finally:
                if self._scratch is not None:  # every worker is gone by now: nothing writes there any more
                    shutil.rmtree(self._scratch, ignore_errors=True)
