"""Many submissions: Dask futures on an embedded LocalCluster or an existing cluster, the gradebook, progress.

The `grader grade` process is the only one that reads submission folders and
writes OUT. For each submission it takes a snapshot (the bytes, hashed),
skips it when the gradebook already holds a grading of the same bytes with
the same checks and config, and otherwise sends the snapshot with the
student's seeds (never the course secret) to a worker as task data. A worker
unpacks it in a temporary folder and grades it with the `GradingSession` it
keeps for its whole life (one sandbox zygote that has imported numpy and torch
once, one collected pytest session; one submission at a time per worker), and
returns the report as plain JSON. As each one
comes back its files are written and its row committed, so a batch stopped at
any point (a signal, kill -9, a dead worker) loses nothing and repeats
nothing on the next run. The batch's own files come last: the answer groups
and the TA's sheet, the similarity report, summary.html, grades.csv.

Parts tagged `gpu` run, when grading with --gpu, as a separate task that asks
for the Dask worker resource GPU=1, so a timed run has a GPU to itself; a
cluster with no such worker gets them back as "needs a GPU worker".
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import queue
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from grader import snapshot as snapshots
from grader.errors import GraderError, ManualScoresError
from grader.gradebook import Gradebook, OutLock
from grader.load import student_id
from grader.manual import (apply_manual, read_manual_scores, sheet_groups, sheet_lines, sheet_path, unlisted_rows,
                           write_sheet)
from grader.model import CHECK_BROKEN, NOT_ANSWERED, Report
from grader.pipeline import GradingSession, RunConfig, StopRequest, load_problems, nothing_earned
from grader.problem import Problem
from grader.progress import Progress
from grader.report import write_batch, write_student
from grader.run_checks import Seeds, SeedTable
from grader.score import settle
from grader.sources import Source
from grader.staff.groups import answer_groups, key_points_of
from grader.staff.similarity import DEFAULT_TEMPLATE, PAGE, statements_of, write_similarity
from grader.staff.views import warm_up
from grader.store import report_from_json, report_path, report_to_json, save_batch, save_report

PLUGIN_PREFIX = "hw7-grader"
STOP_WAIT_S = 5.0  # how long a stopped --jobs 1 batch waits for the submission in hand to wind down
EACH_UP_TO = 50  # a batch this small logs each submission as it finishes; a bigger one, a line every few seconds
NEEDS_GPU = ("not graded yet: this part is timed on a GPU and no GPU worker was available; the course staff "
             "will grade it again on one")
SOURCE_PACKAGES = ("grader", "problems", "reference")
VERSIONED = ("numpy", "sympy", "torch", "pytest")  # results can depend on them: part of the checks hash


# -- what a grading depends on ----------------------------------------------------------------------
def hashed_files() -> list[tuple[str, Path]]:
    """(relative name, path) of every file a grading depends on: the grader's, the problems' and the references'.

    Every file of those packages, so a problem's public checks.py, its graded_checks.py (hidden and after-due
    claims), its seals.py (sealed reference data), grammars and statements all count, whatever they are named.
    """
    found = []
    for package in SOURCE_PACKAGES:
        root = Path(__import__(package).__file__).parent
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.append((path.relative_to(root.parent).as_posix(), path))
    return found


def checks_hash() -> str:
    """The sha256 of the grader's, the problems' and the references' files and of the versions they run on."""
    h = hashlib.sha256(f"python {platform.python_version()}|".encode())
    for name in VERSIONED:
        try:
            h.update(f"{name} {importlib.metadata.version(name)}|".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name} absent|".encode())
    for rel, path in hashed_files():
        h.update(f"{rel}|{path.stat().st_size}|".encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def config_hash(config: RunConfig) -> str:
    """The sha256 of everything in the run's config that changes grades: course, options, the secret's fingerprint."""
    secret = hashlib.sha256(f"hw7-secret-fingerprint|{config.secret}".encode()).hexdigest()
    what = (replace(config.course, source=""), config.mode, tuple(config.problems), config.before_due,
            config.sandbox.use_bwrap, config.sandbox.gpu, config.sandbox.limits, secret)
    return hashlib.sha256(repr(what).encode()).hexdigest()


def gpu_problems(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """The problems with a part tagged `gpu`."""
    return tuple(p for p in problems if any(part.gpu for part in p.parts))


# -- what travels to a worker, and what comes back ---------------------------------------------------
@dataclass(frozen=True)
class Task:
    """One piece of work for a worker: a snapshot, which problems to grade, and the seeds to grade them with."""

    student: str
    snapshot: snapshots.Snapshot
    problems: tuple[str, ...]
    seeds: SeedTable
    gpu: bool = False  # the sandbox gets the GPU (the task asks for a GPU worker)
    plugin: str = PLUGIN_PREFIX


class SubmissionGrader:
    """What a worker sets up once and keeps: the problems, loaded, and the `GradingSession` that grades them.

    Made once per worker (GraderPlugin.setup, or the inline engine) and closed with it, so every
    submission the worker grades reuses one sandbox zygote and one collected pytest session.
    `grade` replaces the session with any callable `(path, problems, config, *, seeds) -> Report`
    (tests use it to slow a grading down, or to see where it ran).
    """

    def __init__(self, config: RunConfig, grade: Callable[..., Report] | None = None):
        self.config = config
        self.problems = load_problems(config.problems, config.course)
        self.checks_hash = checks_hash()
        self.session = GradingSession() if grade is None else None
        self.grade = grade or self.session.grade
        self._one_at_a_time = threading.Lock()  # pytest's session and stdout capture are process-wide
        self._task_dir: Path | None = None  # the folder of the task in hand, for `abandon`

    def prepare(self) -> None:
        """Start the sandbox's zygote for the problems of a CPU task, so that it imports before the first one.

        Call it from a thread that lives as long as the worker: bubblewrap's --die-with-parent ties the
        zygote to the thread that started it.
        """
        if self.session is not None:
            cpu = tuple(p for p in self.problems if not (self.config.sandbox.gpu and p in gpu_problems(self.problems)))
            config = replace(self.config, sandbox=replace(self.config.sandbox, gpu=False))
            if cpu:
                self.session.prepare(cpu, config)

    def abandon(self) -> None:
        """Kill the session's zygote and remove its files and the task's, for a worker that exits next."""
        if self.session is not None:
            self.session.abandon()
        if self._task_dir is not None:
            shutil.rmtree(self._task_dir, ignore_errors=True)

    def close(self) -> None:
        """Stop the session's zygote and end its pytest sessions; what it noticed goes to stderr."""
        if self.session is not None:
            self.session.close()
            for note in self.session.notes:
                print(f"note: {note}", file=sys.stderr)

    def __call__(self, task: Task, worker: str = "") -> dict:
        """Grade one task; plain data back: the report as JSON, the worker, seconds, the checks hash."""
        start = time.perf_counter()
        problems = tuple(p for p in self.problems if p.name in task.problems)
        config = replace(self.config, sandbox=replace(self.config.sandbox, gpu=task.gpu))
        with self._one_at_a_time, tempfile.TemporaryDirectory(prefix="hw7-task-") as tmp:
            self._task_dir = Path(tmp)
            try:
                path = task.snapshot.materialize(Path(tmp))
                report = self.grade(path, problems, config, seeds=task.seeds)
                if report.student != task.student:  # named after its folder; the batch may have prefixed the id
                    report = replace(report, student=task.student)
            except Exception as exc:  # a grader bug on one submission: reported as such, the batch goes on
                report = crashed(task.student, problems, config, f"{type(exc).__name__}: {exc}",
                                 traceback.format_exc()[-3000:])
            finally:
                self._task_dir = None
        return {"report": report_to_json(report), "worker": worker, "seconds": time.perf_counter() - start,
                "checks_hash": self.checks_hash}


def crashed(student: str, problems: tuple[Problem, ...], config: RunConfig, error: str, staff: str = "") -> Report:
    """The report of a submission the grader could not grade (a crash, a worker that kept dying)."""
    why = f"not graded: the grader crashed on this submission ({error})"
    return nothing_earned(student, problems, config, kind="grader_error", status=CHECK_BROKEN, why=why,
                          load_error=why, staff=(staff or error,))


class InBackground:
    """`fn()` run in a thread of its own from now; `join()` waits for it and raises what it raised."""

    def __init__(self, fn: Callable[[], object]):
        self._error: BaseException | None = None

        def run() -> None:
            try:
                fn()
            except BaseException as exc:  # handed to join(), in the caller's thread
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True, name="hw7-in-background")
        self._thread.start()

    def join(self) -> None:
        """Wait for `fn` to return; raise its exception, if it raised one."""
        self._thread.join()
        if self._error is not None:
            raise self._error


# -- engines: where tasks run ------------------------------------------------------------------------
@dataclass
class Done:
    """A finished task: its result (plain data) or why there is none."""

    task: Task
    result: dict | None
    error: str | None = None


class InlineEngine:
    """Grades tasks one by one in this process (--jobs 1): the same tasks and results as on Dask.

    The grading runs in one long-lived daemon thread, as it does in a Dask worker's thread, so that a signal
    reaches the main thread at once and a stopped batch waits only moments for the submission in progress
    (its sandbox is killed by the stop). One thread for the whole batch, with one SubmissionGrader, so that its
    zygote (tied to the thread that started it) and pytest session serve every submission.
    """

    name = "inline"
    has_gpu = True  # the one process is the machine: --gpu was checked on it
    slots = 1

    def __init__(self, config: RunConfig, grade: Callable[..., Report] | None = None):
        self.grader = SubmissionGrader(config, grade)
        self._streams = (sys.stdout, sys.stderr)  # this process's own, whatever the claims redirect meanwhile
        self._todo: queue.Queue = queue.Queue()  # tasks, then None to end the thread
        self._done: queue.Queue = queue.Queue()  # (task, result or None, error)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="hw7-grade-inline")
        self._thread.start()

    def _serve(self) -> None:
        try:
            self.grader.prepare()
            while (task := self._todo.get()) is not None:
                try:
                    self._done.put((task, self.grader(task, "inline"), None))
                except Exception as exc:  # the grader's own failure outside a submission's grading: said, not lost
                    self._done.put((task, None, f"{type(exc).__name__}: {exc}"))
        finally:
            self.grader.close()

    def submit(self, task: Task, resources: dict | None = None) -> None:
        """Queue a task for the grading thread."""
        self._todo.put(task)

    def next_done(self, stopping: Callable[[], bool]) -> Done | None:
        """The next graded task; None as soon as `stopping()` (the task's sandbox is killed by the stop)."""
        while not stopping():
            try:
                task, result, error = self._done.get(timeout=0.1)
            except queue.Empty:
                if not self._thread.is_alive():
                    raise GraderError("the grading thread ended without grading the submissions left") from None
                continue
            return Done(task, result, error)
        return None  # what the thread returns now comes from a killed sandbox: never recorded

    def close(self, stopping: bool = False) -> None:
        """End the grading thread, its session with it; when stopping, wait for it only a few seconds.

        The claims a thread runs swallow what they print by pointing the process's sys.stdout and sys.stderr
        at a buffer meanwhile: while it is at work, what the batch prints would vanish ("stopped by ..." among
        it). On a stop its sandbox is killed (and any it starts again), so it ends within moments; one
        that does not is left to die with the process, the streams given back to the batch first.
        """
        self._todo.put(None)
        self._thread.join(STOP_WAIT_S if stopping else None)
        if self._thread.is_alive():
            sys.stdout, sys.stderr = self._streams


# -- the batch ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch: where, how many at once, and whether to regrade what the gradebook has."""

    scheduler: str | None = None
    jobs: int | None = None
    force: bool = False
    command: str = "grader grade"
    progress_every: float = 5.0
    bar: bool | None = None  # None: a bar when stderr is a terminal
    template: Path | None = None  # the code handed out, left out of the similarity report (None: the default)


@dataclass
class BatchResult:
    """What a batch did: the reports in order, and counts for the exit status."""

    reports: list[Report]
    graded: int
    skipped: int
    needs_gpu: list[str] = field(default_factory=list)
    sheet_ok: bool = True
    stopped: int = 0  # the signal that stopped the batch, or 0
    engine: str = ""
    seconds: float = 0.0
    not_graded: list[str] = field(default_factory=list)  # students a stopped batch did not reach
    similarity_ok: bool = True  # False when the similarity report failed (the grades are unaffected)

    @property
    def broken(self) -> list[str]:
        """The students the grader itself failed on (not those whose GPU parts merely wait for a GPU worker)."""
        return [r.student for r in self.reports if r.needs_staff and r.student not in self.needs_gpu]


def merge(student: str, reports: list[Report], problems: tuple[Problem, ...]) -> Report:
    """One report from the reports of one submission's tasks (its CPU problems and its GPU problems)."""
    if len(reports) == 1:
        return reports[0]
    order = {p.name: i for i, p in enumerate(problems)}
    first = reports[0]
    checks = tuple(sorted((c for r in reports for c in r.checks), key=lambda c: order.get(c.problem, 0)))
    parts = tuple(sorted((p for r in reports for p in r.parts), key=lambda p: order.get(p.problem, 0)))
    titles = tuple(sorted({t for r in reports for t in r.problems}, key=lambda t: order.get(t[0], 0)))
    return replace(first, checks=checks, parts=parts, stages=tuple(s for r in reports for s in r.stages),
                   load_error=next((r.load_error for r in reports if r.load_error), None),
                   import_error=next((r.import_error for r in reports if r.import_error), None),
                   notes=tuple(dict.fromkeys(n for r in reports for n in r.notes)),
                   output="\n".join(r.output for r in reports if r.output), problems=titles,
                   sandboxed=all(r.sandboxed for r in reports),
                   responses=tuple(x for r in reports for x in r.responses),
                   staff_notes=tuple(x for r in reports for x in r.staff_notes))


def awaiting_gpu(report: Report, problems: tuple[Problem, ...]) -> Report:
    """The report with its GPU-tagged parts not graded (0, flagged for staff), for a cluster without a GPU worker."""
    tagged = {(p.name, part.name) for p in problems for part in p.parts if part.gpu}
    checks = tuple(replace(c, score=0.0, status=CHECK_BROKEN, message=NEEDS_GPU) if (c.problem, c.part) in tagged
                   else c for c in report.checks)
    checks, parts = settle(problems, checks)
    return replace(report, checks=checks, parts=parts,
                   staff_notes=report.staff_notes + (f"{', '.join(f'{a}.{b}' for a, b in sorted(tagged))}: "
                                                     "needs a GPU worker (start one with `dask worker ... "
                                                     "--resources GPU=1`) and grade again",))


@dataclass
class InFlight:
    """A submission whose tasks are out: how many, the reports back so far, and what is known of it."""

    tasks: int
    digest: str
    started: float
    reports: list[Report] = field(default_factory=list)
    workers: set[str] = field(default_factory=set)


def unreadable(student: str, problems: tuple[Problem, ...], config: RunConfig, error: str) -> Report:
    """The report of a submission that could not be read into a snapshot (it kept changing, say)."""
    why = f"not graded: the submission could not be read ({error})"
    return nothing_earned(student, problems, config, kind="unreadable", status=NOT_ANSWERED, why=why,
                          load_error=why)


class Batch:
    """One `grader grade` run over `sources` (grader.sources; plain paths are graded on the run's problems)."""

    def __init__(self, sources: list[Source] | list[Path], config: RunConfig, out: Path, options: BatchOptions,
                 stream=None, engine_factory: Callable | None = None, stop: StopRequest | None = None):
        self.sources = [s if isinstance(s, Source) else Source(Path(s), (), student_id(Path(s))) for s in sources]
        self.paths = [s.path for s in self.sources]
        self.config = config
        self.out = Path(out)
        self.options = options
        self.stream = stream or sys.stderr
        self.problems = load_problems(config.problems, config.course)  # a broken problem fails before any student
        self.students = [s.student for s in self.sources]
        known = {p.name for p in self.problems}
        for s in self.sources:
            if not set(s.problems) <= known:
                raise GraderError(f"expected {s.student}'s problems among this run's ({', '.join(sorted(known))}), "
                                  f"got {', '.join(s.problems)}")
        # A source graded on some problems only: its problems are part of what its grading depends on.
        self.only = {s.student: tuple(p for p in self.problems if p.name in s.problems)
                     for s in self.sources if s.problems}
        twice = sorted({s for s in self.students if self.students.count(s) > 1})
        if twice:
            raise GraderError(f"expected one submission per student, got several for {', '.join(twice[:5])} "
                              "(a folder and a .zip of the same name?); keep one of each.")
        self.checks_hash = checks_hash()
        self.config_hash = config_hash(config)
        # Workers get the config without the secret: their seeds come with each task.
        self.plugin = f"{PLUGIN_PREFIX}-{self.config_hash[:12]}"
        self.worker_config = replace(config, secret="")
        self.engine_factory = engine_factory or Batch.default_engine  # (batch) -> engine
        self.stop = stop  # SIGINT/SIGTERM while it runs (installed by run() when not given)
        self.gpu_names = tuple(p.name for p in gpu_problems(self.problems)) if config.sandbox.gpu else ()

    def problems_of(self, student: str) -> tuple[Problem, ...]:
        """The problems this student's submission is graded on."""
        return self.only.get(student, self.problems)

    def config_hash_of(self, student: str) -> str:
        """The config hash of this student's grading: the run's, with the problems of a restricted source."""
        if student not in self.only:
            return self.config_hash
        names = ",".join(p.name for p in self.only[student])
        return hashlib.sha256(f"{self.config_hash}|problems={names}".encode()).hexdigest()

    def default_engine(self):
        """Inline for one job or one submission, else Dask (the embedded cluster, or the one at --scheduler)."""
        o = self.options
        if not o.scheduler and ((o.jobs or os.cpu_count() or 1) == 1 or len(self.paths) <= 1):
            return InlineEngine(self.worker_config)
        from grader.cluster import DaskEngine  # Dask is imported only for a batch that uses it

        return DaskEngine(self.worker_config, self.plugin, o.scheduler, o.jobs)

    def run(self) -> BatchResult:
        """Grade every submission not already in the gradebook, writing each as it finishes; the batch's result."""
        if self.stop is None and threading.current_thread() is threading.main_thread():
            with StopRequest() as self.stop:
                return self.run()
        start = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)
        with OutLock(self.out, self.options.command):
            book = Gradebook.of(self.out)
            try:
                return self._run(book, start)
            finally:
                book.close()

    def stopping(self) -> bool:
        """Whether a stop signal arrived."""
        return self.stop is not None and self.stop.requested

    def _run(self, book: Gradebook, start: float) -> BatchResult:
        reports: dict[str, Report] = {}
        skipped: set[str] = set()
        needs_gpu: list[str] = []
        progress = Progress(len(self.paths), self.stream, self.options.progress_every, self.options.bar,
                            each=len(self.paths) <= EACH_UP_TO)
        run_id = None
        engine = None
        closing = None
        try:
            engine = self.engine_factory(self)
            run_id = book.start_run(self.options.command, self.checks_hash, self.config_hash, self.options.force,
                                    len(self.paths), engine.name)
            warming = warm_up()  # the pages' libraries, imported while the workers grade
            self._loop(book, run_id, engine, reports, skipped, needs_gpu, progress)
            warming.join()
            if not self.stopping():
                # The workers' shutdown (each ends its zygote: half a second) overlaps the batch's pages below;
                # a stopped batch closes at once instead, its workers killed first.
                closing = InBackground(engine.close)
        finally:
            try:
                if engine is not None and closing is None:
                    engine.close(stopping=self.stopping())
            finally:
                progress.close()
        stopped = self.stop.signum if self.stopping() else 0
        order = [s for s in self.students if s in reports]
        try:
            final, sheet_ok, similarity_ok = self._finish(book, [reports[s] for s in order], skipped, bool(stopped))
        finally:
            if closing is not None:
                closing.join()
        if run_id is not None:
            book.finish_run(run_id, "interrupted" if stopped else "finished")
        return BatchResult(final, progress.counts.graded, len(skipped), needs_gpu, sheet_ok, stopped,
                           engine.name if engine else "", time.perf_counter() - start,
                           [s for s in self.students if s not in reports], similarity_ok)

    def _tasks(self, path: Path, snap: snapshots.Snapshot, student: str, gpu_worker: bool) -> list[tuple[Task, dict]]:
        """The tasks of one submission, each with the Dask resources it asks for."""
        seeds = SeedTable.of(Seeds(self.config.secret, student) if self.config.mode == "grade" else Seeds.public(),
                             self.problems)
        names = tuple(p.name for p in self.problems_of(student))

        def task(problems: tuple[str, ...], gpu: bool) -> Task:
            mine = SeedTable(tuple(s for s in seeds.seeds if s[0] in problems))
            return Task(student, snap, problems, mine, gpu, self.plugin)

        if not self.gpu_names or not gpu_worker:
            return [(task(names, False), {})]
        cpu = tuple(n for n in names if n not in self.gpu_names)
        gpu = tuple(n for n in names if n in self.gpu_names)
        if not gpu:
            return [(task(names, False), {})]
        return ([(task(cpu, False), {})] if cpu else []) + [(task(gpu, True), {"GPU": 1})]

    def _loop(self, book, run_id, engine, reports, skipped, needs_gpu, progress) -> None:
        pending: dict[str, InFlight] = {}
        in_flight = 0
        todo = iter(zip(self.paths, self.students))
        gpu_worker = bool(self.gpu_names) and engine.has_gpu

        def feed() -> bool:
            nonlocal in_flight
            if self.stopping():
                return False
            for path, student in todo:
                try:
                    snap = snapshots.take(path)
                except (OSError, GraderError) as exc:  # tried again by the next run
                    self._record(book, run_id, unreadable(student, self.problems_of(student), self.config, str(exc)),
                                 "", 0.0, "", reports, progress, failed=True)
                    continue
                digest = snap.digest
                earlier = None if self.options.force else book.graded(student, digest, self.checks_hash,
                                                                      self.config_hash_of(student))
                if earlier is not None:
                    book.record_skip(run_id, earlier, digest, self.checks_hash, self.config_hash_of(student))
                    reports[student] = earlier.report
                    skipped.add(student)
                    progress.skipped(student)
                    continue
                tasks = self._tasks(path, snap, student, gpu_worker)
                pending[student] = InFlight(len(tasks), digest, time.perf_counter())
                for t, resources in tasks:
                    engine.submit(t, resources)
                    in_flight += 1
                return True
            return False

        while in_flight < engine.slots and feed():
            pass
        while in_flight and not self.stopping():
            done = engine.next_done(self.stopping)
            if done is None:  # stopped: what is in flight is dropped, to be graded by the next run
                break
            in_flight -= 1
            student = done.task.student
            entry = pending[student]
            if done.result is None:
                problems = tuple(p for p in self.problems if p.name in done.task.problems)
                entry.reports.append(crashed(student, problems, self.config,
                                             f"the worker grading it failed: {done.error}"))
            else:
                if done.result["checks_hash"] != self.checks_hash:
                    raise GraderError(f"worker {done.result['worker']} grades with other checks than this machine "
                                      f"(checks hash {done.result['checks_hash'][:12]}, here {self.checks_hash[:12]}); "
                                      "install the same version of the grader on every node.")
                entry.reports.append(report_from_json(done.result["report"]))
                # Which worker graded what: with a GPU task beside the CPU one, each is named with its problems.
                where = done.result["worker"]
                entry.workers.add(f"{'+'.join(done.task.problems)}@{where}" if entry.tasks > 1 else where)
            if len(entry.reports) == entry.tasks:
                del pending[student]
                report = merge(student, entry.reports, self.problems_of(student))
                state = "graded"
                if self.gpu_names and not gpu_worker and set(self.gpu_names) & set(done.task.problems):
                    report = awaiting_gpu(report, self.problems_of(student))
                    needs_gpu.append(student)
                    state = "needs_gpu"
                self._record(book, run_id, report, entry.digest, time.perf_counter() - entry.started,
                             ",".join(sorted(entry.workers)), reports, progress, state=state)
            while in_flight < engine.slots and feed():
                pass

    def _record(self, book, run_id, report, digest, seconds, worker, reports, progress, state="graded",
                failed=False) -> None:
        """Write one student's files, then commit their row: a kill in between only means grading them again."""
        data = report_to_json(report)
        save_report(report, self.out, data)
        write_student(report, self.out)
        if failed or report.kind == "grader_error" or report.grader_failures:
            state = "failed"  # worth another try on the next run, unlike a wrong answer
        book.record(run_id, report, digest, self.checks_hash, self.config_hash_of(report.student), seconds=seconds,
                    worker=worker,
                    state=state, data=data)
        reports[report.student] = report
        progress.graded(report)

    def _finish(self, book: Gradebook, reports: list[Report], skipped: set[str],
                stopped: bool) -> tuple[list[Report], bool, bool]:
        """The batch's files, with the TA's sheet applied; students whose files the sheet (or a gap) changes rewritten.

        The manual parts' answer groups feed the sheet and manual.html; the similarity report (not for a
        batch stopped by a signal, which is written as fast as can be) is linked from summary.html.
        (the reports with TA scores, whether the sheet could be read, whether the similarity report was written).
        """
        if not reports:
            return reports, True, True
        save_batch([r.student for r in reports], self.out)
        groups = answer_groups(reports, key_points_of(self.problems), sheet_groups(sheet_path(self.out)))
        similarity_ok = True if stopped else similarity_page(
            self.sources, reports, self.problems, self.out, self.options.template or DEFAULT_TEMPLATE, self.stream)
        applied, sheet_ok, scores = with_sheet(reports, self.out, groups, self.stream)
        book.record_ta_scores(scores, "grader grade")
        for graded, final in zip(reports, applied):
            if final != graded:
                write_student(final, self.out)
            elif graded.student in skipped and not self._files_match(graded):
                save_report(graded, self.out)
                write_student(graded, self.out)
        write_batch(applied, self.out, groups)
        return applied, sheet_ok, similarity_ok

    def _files_match(self, report: Report) -> bool:
        """Whether the student's files on disk are this report's (a skipped student's, from an earlier run)."""
        d = self.out / report.student
        try:
            on_disk = report_from_json(json.loads(report_path(self.out, report.student).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return on_disk == report and (d / "results.json").is_file() and (d / "report.html").is_file()


def similarity_page(sources: list[Source], reports: list[Report], problems: tuple[Problem, ...], out: Path,
                    template: Path, stream=None) -> bool:
    """Write OUT/_staff/similarity.html for the batch; False (with the traceback on `stream`) when it failed."""
    try:
        # Each submission under its batch id (several folders may prefix ids with the folder's name).
        found = write_similarity([s.path for s in sources], reports, out, template, statements_of(problems),
                                 ids={s.path: s.student for s in sources})
    except Exception:  # a bug in the staff report must not lose the grades, which are written next; exit 2 says so
        print(f"grader: the similarity report failed; the grades are unaffected:\n{traceback.format_exc()}",
              file=stream or sys.stderr)
        return False
    print(f"similarity: {len(found.pairs) + found.more} pair(s) to look at -> {out / PAGE} (staff only)")
    return True


def through_groups(scores) -> str:
    """' (N through group rows)' when some scores came from group:N rows, else ''."""
    n = sum(s.group is not None for s in scores)
    return f" ({n} through group rows)" if n else ""


def with_sheet(reports: list[Report], out: Path, groups: dict | None = None,
               stream=None) -> tuple[list[Report], bool, tuple]:
    """Apply OUT's sheet of manual scores to fresh reports, or write the sheet when there is none.

    `groups` are the manual parts' answer groups (the sheet's group rows). (reports, whether the sheet
    could be read, the TA scores applied).
    """
    stream = stream or sys.stderr
    sheet = sheet_path(out)
    if not sheet.exists():
        if any(r.pending_points for r in reports):
            write_sheet(reports, sheet, groups)
            print(f"manual parts await a TA: fill in the score column of {sheet}, then run `grader manual {out}`")
        return reports, True, ()
    # Never rewritten: the TA's scores live only there.
    try:
        scores = read_manual_scores(sheet, reports)
    except ManualScoresError as exc:
        print(f"grader: {exc}\nThe results below have no TA scores: fix the sheet, then run `grader manual {out}`.",
              file=stream)
        return reports, False, ()
    unlisted = unlisted_rows(sheet, reports, groups)
    print(f"applied {len(scores)} TA score(s) from {sheet}{through_groups(scores)}")
    if unlisted:
        print(f"{len(unlisted)} pending manual part(s) have no row in {sheet}; add these lines to score them:")
        print(sheet_lines(unlisted))
    return [apply_manual(r, scores) for r in reports], True, scores
