"""The pipeline: load → sandboxed collect → checks → score → report, one submission at a time.

Each stage's outcome is kept as a value (`Outcome`), so a stage that fails
becomes a line in the report, never a lost grade or a stopped batch.
"""
from __future__ import annotations

import multiprocessing
import os
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.collect import Answers, free_responses
from grader.config import CourseConfig
from grader.errors import GraderError, SubmissionError
from grader.extract import extract_answers
from grader.load import load, student_id
from grader.model import CHECK_BROKEN, NOT_ANSWERED, Outcome, Report, Status
from grader.problem import Problem, discover, select
from grader.run_checks import Seeds, SeedTable, claims_of, run_claims, validate
from grader.sandbox import Limits, SandboxConfig
from grader.score import not_answered_results, score


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
                  problems=tuple((p.name, p.title) for p in problems), staff_notes=tuple(staff))


def grade_submission(path: Path, problems: tuple[Problem, ...], config: RunConfig,
                     seeds: Seeds | SeedTable | None = None) -> Report:
    """Grade one submission folder or .zip through every stage; always returns a Report.

    `seeds` replaces the seeds derived from `config.secret` (a batch worker gets a table, never the secret).
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
        answers = Answers(sub, config.sandbox)
        if seeds is None:
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
        scored = Outcome.of("score", lambda: score(problems, results))
        stages = (loaded, extracted, collected, checked, responded, scored)
        if not scored.ok:  # never a silent 0/0 report: the results stay, the failure is the staff's to see
            results = tuple(replace(r, score=0.0, status=CHECK_BROKEN) for r in results)
            staff = staff + (f"the score stage failed: {scored.error}",)
        import_error = collected.value.describe() if collected.value is not None and collected.value.failed else None
        staff = staff + tuple(f"the {o.stage} stage failed: {o.error}" for o in (responded,) if not o.ok)
        return Report(student, config.mode, sub.kind, results, scored.value or (), tuple(map(_stage, stages)),
                      import_error=import_error, notes=tuple(sub.notes), output=output,
                      sandboxed=config.sandbox.use_bwrap, problems=titles, responses=responded.value or (),
                      staff_notes=tuple(staff))


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


def grade_many(paths: list[Path], config: RunConfig, jobs: int | None = None) -> list[Report]:
    """Grade many submissions, `jobs` at a time (default: one per core), in order."""
    load_problems(config.problems, config.course)  # fail fast on a broken problem, before any student
    jobs = jobs or os.cpu_count() or 1
    work = [(p, config.problems, config) for p in paths]
    if jobs == 1 or len(paths) <= 1:
        return [_grade_one(w) for w in work]
    # Spawned, not forked: the parent may hold torch's thread pools, which do not survive a fork.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_grade_one, work))


def grade_path(path: Path, mode: str = "grade", problems: tuple = (), use_bwrap: bool = True,
               secret: str = "public", limits: Limits | None = None) -> Report:
    """Grade one submission with default settings (the entry point tests and scripts use)."""
    config = RunConfig(mode, tuple(problems), SandboxConfig(use_bwrap, limits or Limits()), secret)
    return grade_submission(Path(path), load_problems(tuple(problems)), config)
