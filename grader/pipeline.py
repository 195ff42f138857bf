"""The pipeline: load → sandboxed collect → checks → score → report, one submission at a time.

Each stage's outcome is kept as a value (`Outcome`), so a stage that fails
becomes a line in the report, never a lost grade or a stopped batch.

A batch (`grade_many`) runs in a pool of spawned processes. SIGINT or SIGTERM
(`StopRequest`) stops it within moments: the pool's processes are terminated,
each killing its sandboxes first, and the reports finished so far are returned.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import tempfile
import threading
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from grader.collect import Answers, free_responses
from grader.config import CourseConfig
from grader.errors import GraderError, SubmissionError
from grader.extract import extract_answers
from grader.load import load, student_id
from grader.model import CHECK_BROKEN, NOT_ANSWERED, Outcome, Report, Status
from grader.problem import Problem, discover, select
from grader.run_checks import Seeds, claims_of, run_claims, validate
from grader.sandbox import Limits, SandboxConfig, Worker
from grader.score import not_answered_results, score, settle


@dataclass(frozen=True)
class RunConfig:
    """How to grade: which problems, which claims, which seeds, which sandbox."""

    mode: str = "grade"  # grade: all claims, per-student seeds; check: public claims, public seeds
    problems: tuple = ()  # problem names; empty means all
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    secret: str = "public"
    course: CourseConfig = field(default_factory=CourseConfig)
    before_due: bool = False  # grading before the deadline: no after-due feedback, no accepted answers in messages

    @property
    def hidden(self) -> bool:
        """Whether hidden claims run."""
        return self.mode == "grade"

    @property
    def reveal(self) -> bool:
        """Whether check messages may name accepted answers (a graded report handed back after the due date)."""
        return self.mode == "grade" and not self.before_due


def load_problems(names: tuple = (), course: CourseConfig | None = None) -> tuple[Problem, ...]:
    """The selected problems with the course's points, each validated (claims name real parts, points add up)."""
    problems = select(discover(), list(names) or None)
    if course is not None:
        problems = course.apply(problems)
    for p in problems:
        validate(p)
    return problems


def _stage(outcome: Outcome) -> Outcome:
    """The outcome without its value, for the report (values are big; errors and timings are not)."""
    return replace(outcome, value=None)


def nothing_earned(student: str, problems: tuple[Problem, ...], config: RunConfig, *, kind: str, why: str,
                   status: Status, stages: tuple = (), staff: tuple = (), load_error: str | None = None) -> Report:
    """The report of a submission that earned nothing because a stage failed: every claim 0, with `why`.

    The one place such a report is built (a load failure, a grader failure at a stage, a grader crash).
    """
    claims = {p.name: claims_of(p) for p in problems}
    results = tuple(replace(r, status=status) for r in not_answered_results(problems, claims, config.hidden, why))
    return Report(student, config.mode, kind, results, score(problems, results), tuple(map(_stage, stages)),
                  load_error=load_error, sandboxed=config.sandbox.use_bwrap,
                  problems=tuple((p.name, p.title) for p in problems), staff_notes=tuple(staff),
                  after_due_feedback=config.reveal)


def grade_submission(path: Path, problems: tuple[Problem, ...], config: RunConfig) -> Report:
    """Grade one submission folder or .zip through every stage; always returns a Report."""
    student = student_id(path)
    titles = tuple((p.name, p.title) for p in problems)
    with tempfile.TemporaryDirectory(prefix="hw7-") as scratch:
        loaded = Outcome.of("load", lambda: load(path, Path(scratch)), catch=(SubmissionError,))
        if not loaded.ok:
            reason = loaded.error.split(": ", 1)[-1]
            return nothing_earned(student, problems, config, kind="unreadable", status=NOT_ANSWERED,
                                  why=f"not graded: the submission could not be loaded ({reason})",
                                  stages=(loaded,), load_error=reason)
        extracted = Outcome.of("extract", lambda: extract_answers(loaded.value, problems))
        sub = extracted.value if extracted.ok else loaded.value
        answers = Answers(sub, config.sandbox)
        seeds = Seeds(config.secret, sub.student) if config.mode == "grade" else Seeds.public()
        collected = Outcome.of("collect", answers.start, catch=(GraderError,))
        try:
            checked = Outcome.of("checks", lambda: run_claims(answers, problems, config.hidden, seeds, config.course,
                                                                   config.reveal))
            responded = Outcome.of("responses", lambda: free_responses(answers, problems), catch=(GraderError,))
        finally:
            output = answers.close()
        failed = next((o for o in (extracted, collected, checked) if not o.ok), None)
        if failed is not None:  # the grader itself failed: nothing is credited, and staff are told
            return nothing_earned(student, problems, config, kind=sub.kind, status=CHECK_BROKEN,
                                  why=f"not graded: the grader failed at the {failed.stage} stage",
                                  stages=(loaded, extracted, collected, checked, responded),
                                  staff=(f"the {failed.stage} stage failed: {failed.error}",))
        results, staff = checked.value
        scored = Outcome.of("score", lambda: settle(problems, results))
        stages = (loaded, extracted, collected, checked, responded, scored)
        if scored.ok:
            results, parts = scored.value
        else:  # never a silent 0/0 report: the results stay, the failure is the staff's to see
            results, parts = tuple(replace(r, score=0.0, status=CHECK_BROKEN) for r in results), ()
            staff = staff + (f"the score stage failed: {scored.error}",)
        import_error = collected.value.describe() if collected.value is not None and collected.value.failed else None
        staff = staff + tuple(f"the {o.stage} stage failed: {o.error}" for o in (responded,) if not o.ok)
        transcript = sub.transcript.with_verdicts(answers.verdicts) if sub.transcript is not None else None
        return Report(student, config.mode, sub.kind, results, parts, tuple(map(_stage, stages)),
                      import_error=import_error, notes=tuple(sub.notes) + tuple(answers.output_notes), output=output,
                      sandboxed=config.sandbox.use_bwrap, problems=titles, responses=responded.value or (),
                      staff_notes=tuple(sub.staff_notes) + tuple(staff), after_due_feedback=config.reveal,
                      transcript=transcript)


def submissions_in(folder: Path) -> list[Path]:
    """The submission folders and .zip files directly inside `folder`, sorted."""
    if not folder.is_dir():
        raise GraderError(f"{folder} is not a folder of submissions")
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith((".", "_")) and (p.is_dir() or p.suffix.lower() == ".zip"))


def _grade_one(args) -> Report:
    path, names, config = args
    problems = load_problems(names, config.course)
    try:
        return grade_submission(path, problems, config)
    except Exception as exc:  # a grader bug on one submission: reported as such, the batch goes on
        why = f"not graded: the grader crashed on this submission ({type(exc).__name__}: {exc})"
        return nothing_earned(student_id(path), problems, config, kind="grader_error", status=CHECK_BROKEN, why=why,
                              load_error=why, staff=(traceback.format_exc()[-3000:],))


def _grade_indexed(item: tuple) -> tuple[int, Report]:
    index, args = item
    return index, _grade_one(args)


STOPPED = "stopped: the grader was interrupted"


class StopRequest:
    """SIGINT and SIGTERM while `grader grade` runs: the first one is recorded and kills this process's sandboxes.

    The handler never raises, so no stage is cut in the middle: the batch loop sees `requested` and
    winds down (terminating the pool), and whatever the command writes after it is written whole.
    Install it with `with StopRequest() as stop:` in the main thread.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict = {}

    def __enter__(self) -> "StopRequest":
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum, frame) -> None:
        if self.signum is None:
            self.signum = signum
        Worker.kill_live(STOPPED)  # a sandbox of this process (the self-test's) dies now, not at exit

    @property
    def requested(self) -> bool:
        """Whether a stop signal arrived."""
        return self.signum is not None

    @property
    def name(self) -> str:
        """The signal's name ("SIGINT"), for messages."""
        return signal.Signals(self.signum).name if self.signum else ""

    @property
    def exit_status(self) -> int:
        """The shell's status for a process ended by the signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + (self.signum or 0)


def _pool_process_started() -> None:
    """In each pool process: Ctrl-C is the parent's to handle; SIGTERM ends the process, its sandboxes first."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _pool_process_stop)


def _pool_process_stop(signum, frame) -> None:
    Worker.kill_live(STOPPED)
    # At once, from wherever it was: an exception would be caught by pytest, running the claims, as a failure.
    os._exit(128 + signum)


def _serve(conn) -> None:
    """A pool process's loop: grade each (index, work) received on `conn` and send back (index, report)."""
    _pool_process_started()
    while True:
        try:
            item = conn.recv()
        except EOFError:  # the parent is gone
            return
        if item is None:
            return
        conn.send(_grade_indexed(item))


class _Pool:
    """`jobs` spawned processes, each with its own pipe: killing one can leave no lock held, so none can hang us.

    (multiprocessing.Pool shares a queue lock between its processes; one killed while waiting for work,
    by a SIGTERM sent to the whole process group, leaves it held and `terminate()` waits forever.)
    """

    def __init__(self, jobs: int):
        # Spawned, not forked: the parent may hold torch's thread pools, which do not survive a fork.
        self._context = multiprocessing.get_context("spawn")
        self.processes: dict = {}  # connection -> process
        for _ in range(jobs):
            self.start_one()

    def start_one(self):
        """Start one more process; its connection."""
        ours, theirs = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(theirs,), daemon=True)
        # SIGINT is ignored while the process starts, so that it inherits that before it can run our
        # handler; a Ctrl-C in these few milliseconds is lost rather than printed as a child's traceback.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            process.start()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        theirs.close()
        self.processes[ours] = process
        return ours

    def retire(self, conn) -> None:
        """Forget a process whose pipe closed (it died)."""
        self.processes.pop(conn).join(timeout=5)
        conn.close()

    def close(self, kill: bool) -> None:
        """End every process: ask them to finish (all work done), or terminate them, sandboxes first."""
        for conn, process in self.processes.items():
            if kill:
                process.terminate()
            else:
                try:
                    conn.send(None)
                except OSError:
                    pass
        for conn, process in self.processes.items():
            process.join(timeout=5)
            if process.is_alive():  # stuck: bwrap's --die-with-parent takes its sandbox down with it
                process.kill()
                process.join()
            conn.close()
        self.processes = {}


@dataclass(frozen=True)
class Batch:
    """What `grade_many` graded: the reports in submission order, and the signal that stopped it, if one did."""

    reports: tuple[Report, ...]
    not_graded: tuple[Path, ...] = ()
    stopped_by: str = ""  # "SIGINT" or "SIGTERM" when a stop request cut the batch short


def grade_many(paths: list[Path], config: RunConfig, jobs: int | None = None, stop: StopRequest | None = None,
               on_graded: Callable[[Report, int, int], None] | None = None) -> Batch:
    """Grade many submissions, `jobs` at a time (default: one per core), each in a pool process.

    `on_graded(report, done, total)` is called as each one finishes. When `stop` is requested, the
    pool's processes are terminated at once (each kills its sandboxes) and the batch holds what was done.
    A pool process that dies (the grader's own crash) costs its submission a "grader crashed" report.
    """
    problems = load_problems(config.problems, config.course)  # fail fast on a broken problem, before any student
    todo = list(enumerate((p, config.problems, config) for p in paths))
    done: dict[int, Report] = {}
    if not todo:
        return Batch(())
    pool = _Pool(max(1, min(jobs or os.cpu_count() or 1, len(todo))))
    busy: dict = {}  # connection -> index of the submission it grades

    def give(conn) -> None:
        if todo:
            item = todo.pop(0)
            conn.send(item)
            busy[conn] = item[0]

    try:
        for conn in list(pool.processes):
            give(conn)
        while busy and not (stop and stop.requested):
            for conn in multiprocessing.connection.wait(list(busy), timeout=0.2):  # short: a stop is seen at once
                index = busy.pop(conn)
                try:
                    _, report = conn.recv()
                except (EOFError, OSError):
                    if stop and stop.requested:  # killed by the same signal: not a crash
                        break
                    pool.retire(conn)
                    why = "not graded: the grader's process for this submission died"
                    report = nothing_earned(student_id(paths[index]), problems, config, kind="grader_error",
                                            status=CHECK_BROKEN, why=why, load_error=why, staff=(why,))
                    conn = pool.start_one()
                done[index] = report
                if on_graded is not None:
                    on_graded(report, len(done), len(paths))
                give(conn)
    finally:
        pool.close(kill=len(done) < len(paths))  # stopped, or a grader error: no process may outlive the batch
    reports = tuple(done[i] for i in sorted(done))
    return Batch(reports, tuple(p for i, p in enumerate(paths) if i not in done),
                 stop.name if stop is not None else "")


def grade_path(path: Path, mode: str = "grade", problems: tuple = (), use_bwrap: bool = True,
               secret: str = "public", limits: Limits | None = None, before_due: bool = False) -> Report:
    """Grade one submission with default settings (the entry point tests and scripts use)."""
    config = RunConfig(mode, tuple(problems), SandboxConfig(use_bwrap, limits or Limits()), secret,
                       before_due=before_due)
    return grade_submission(Path(path), load_problems(tuple(problems)), config)
