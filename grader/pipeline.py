"""The pipeline: load → sandboxed collect → checks → score → report, one submission at a time.

Each stage's outcome is kept as a value (`Outcome`), so a stage that fails
becomes a line in the report, never a lost grade or a stopped batch.

Many submissions are grader/batch.py's business (Dask workers, the gradebook);
`StopRequest` is what SIGINT and SIGTERM set while a batch runs.

A `GradingSession` grades submission after submission in one process and keeps
what a fresh start would pay for again: a sandbox zygote that has imported the
heavy libraries (`grader.zygote`) and one collected pytest session per problem
set (`run_checks.ClaimSession`). Each batch worker has one (grader/batch.py's
`SubmissionGrader`); without one, `grade_submission` starts fresh.
"""
from __future__ import annotations

import signal
import tempfile
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.collect import Answers, free_responses
from grader.config import CourseConfig
from grader.errors import GraderError, SandboxUnavailable, SubmissionError
from grader.extract import extract_answers
from grader.load import load, student_id
from grader.model import CHECK_BROKEN, NOT_ANSWERED, Outcome, Report, Status
from grader.problem import Problem, discover, select
from grader.run_checks import ClaimSession, Seeds, SeedTable, claims_of, run_claims, validate
from grader.sandbox import Limits, ProcessLauncher, SandboxConfig, Worker
from grader.score import not_answered_results, score, settle
from grader.zygote import ZygoteLauncher, preload_for


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
    claims = {p.name: claims_of(p, graded=config.hidden) for p in problems}
    results = tuple(replace(r, status=status) for r in not_answered_results(problems, claims, config.hidden, why))
    return Report(student, config.mode, kind, results, score(problems, results), tuple(map(_stage, stages)),
                  load_error=load_error, sandboxed=config.sandbox.use_bwrap,
                  problems=tuple((p.name, p.title) for p in problems), staff_notes=tuple(staff),
                  after_due_feedback=config.reveal)


class GradingSession:
    """Grades submission after submission in one process, keeping its sandbox zygote and pytest sessions.

    Launchers are kept per sandbox kind (bubblewrap or not, GPU or not) and preload (a zygote for bubblewrap
    without the GPU, fresh workers otherwise);
    claim sessions per problem set and mode. A zygote that cannot start on this
    machine leaves the session with fresh bubblewrap workers (said once in `notes`).
    One grade at a time (a lock); make one per process. Close it (or use `with`) to
    stop the zygote and end the pytest sessions.
    """

    def __init__(self, zygote: bool = True):
        self.use_zygote = zygote
        self.notes: list[str] = []
        self._launchers: dict[tuple, object] = {}
        self._claims: dict[tuple, ClaimSession] = {}
        self._lock = threading.Lock()

    def launcher(self, sandbox: SandboxConfig, problems: tuple[Problem, ...]):
        """The launcher for workers of `sandbox` (a zygote under bubblewrap), started on first use."""
        key = (sandbox.use_bwrap, sandbox.gpu, preload_for(problems))
        if key not in self._launchers:
            launcher = ProcessLauncher()
            # Not with the GPU yet: a child has no /proc, and whether CUDA starts without one is untested (no
            # GPU machine so far); --gpu keeps fresh bubblewrap workers, whose /proc is the sandbox's own.
            if sandbox.use_bwrap and self.use_zygote and not sandbox.gpu:
                try:
                    launcher = ZygoteLauncher(sandbox, key[2])
                except SandboxUnavailable as exc:
                    self.notes.append(f"fresh sandbox processes instead of a zygote: {exc}")
            self._launchers[key] = launcher
        return self._launchers[key]

    def claims(self, problems: tuple[Problem, ...], hidden: bool) -> ClaimSession:
        """The collected claim session for `problems` in this mode (a new one after pytest itself failed)."""
        key = (tuple(problems), hidden)
        session = self._claims.get(key)
        if session is None or session.broken:
            if session is not None:
                session.close()
            session = self._claims[key] = ClaimSession(tuple(problems), hidden)
        return session

    def adopt(self, sandbox: SandboxConfig, problems: tuple[Problem, ...], launcher) -> None:
        """Use `launcher` (started earlier, see grader.entry) for `sandbox` workers of these problems; closed with us."""
        self._launchers.setdefault((sandbox.use_bwrap, sandbox.gpu, preload_for(problems)), launcher)

    def prepare(self, problems: tuple[Problem, ...], config: RunConfig) -> None:
        """Start what grading these problems needs (the zygote imports while the caller does other work)."""
        self.launcher(config.sandbox, problems)

    def grade(self, path: Path, problems: tuple[Problem, ...], config: RunConfig,
              seeds: Seeds | SeedTable | None = None) -> Report:
        """Grade one submission, as `grade_submission` does, with this session's zygote and pytest sessions."""
        with self._lock:
            return grade_submission(path, problems, config, session=self, seeds=seeds)

    def close(self) -> None:
        """Stop the zygotes and end the pytest sessions."""
        for launcher in self._launchers.values():
            if getattr(launcher, "broken", None):
                self.notes.append(f"fresh sandbox processes instead of the zygote's: {launcher.broken}")
            elif getattr(launcher, "failures", None):
                self.notes.append(f"{len(launcher.failures)} worker(s) started fresh because the zygote could not "
                                  f"fork them; the first: {launcher.failures[0]}")
            launcher.close()
        for claims in self._claims.values():
            claims.close()
        self._launchers.clear()
        self._claims.clear()

    def abandon(self) -> None:
        """Kill the zygotes at once and remove their staging folders, for a process that exits next (a signal)."""
        for launcher in self._launchers.values():
            launcher.abandon()
        self._launchers.clear()

    def __enter__(self) -> "GradingSession":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def grade_submission(path: Path, problems: tuple[Problem, ...], config: RunConfig,
                     session: GradingSession | None = None, seeds: Seeds | SeedTable | None = None) -> Report:
    """Grade one submission folder or .zip through every stage; always returns a Report.

    With `session`, workers come from its zygote and claims run in its pytest session;
    without, a fresh worker process and a pytest session of its own. `seeds` replaces the
    seeds derived from `config.secret` (a batch worker gets a table, never the secret).
    """
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
        answers = Answers(sub, config.sandbox, session.launcher(config.sandbox, problems) if session else None)
        if seeds is None:
            seeds = Seeds(config.secret, sub.student) if config.mode == "grade" else Seeds.public()
        # The claim session (collected, warmed up) before the worker: the first time, while the zygote imports.
        claims = session.claims(problems, config.hidden) if session else None
        collected = Outcome.of("collect", answers.start, catch=(GraderError,))
        try:
            checked = Outcome.of("checks", lambda: run_claims(answers, problems, config.hidden, seeds, config.course,
                                                                   config.reveal, claims))
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


STOPPED = "stopped: the grader was interrupted"


class StopRequest:
    """SIGINT and SIGTERM while `grader grade` runs: the first one is recorded and kills this process's sandboxes.

    The handler never raises, so no stage is cut in the middle: the batch loop sees `requested` and
    winds down (stopping its workers), and whatever the command writes after it is written whole.
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


def grade_path(path: Path, mode: str = "grade", problems: tuple = (), use_bwrap: bool = True,
               secret: str = "public", limits: Limits | None = None, before_due: bool = False) -> Report:
    """Grade one submission with default settings (the entry point tests and scripts use)."""
    config = RunConfig(mode, tuple(problems), SandboxConfig(use_bwrap, limits or Limits()), secret,
                       before_due=before_due)
    return grade_submission(Path(path), load_problems(tuple(problems)), config)
