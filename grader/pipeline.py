"""The pipeline: load → sandboxed collect → checks → score → report, one submission at a time.

Each stage's outcome is kept as a value (`Outcome`), so a stage that fails
becomes a line in the report, never a lost grade or a stopped batch.
"""
from __future__ import annotations

import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.collect import Answers, free_responses
from grader.errors import GraderError, SubmissionError
from grader.extract import extract_answers
from grader.load import load, student_id
from grader.model import Outcome, Report
from grader.problem import Problem, discover, select
from grader.run_checks import Seeds, claims_of, run_claims, validate
from grader.sandbox import Limits, SandboxConfig
from grader.score import not_answered_results, score


@dataclass(frozen=True)
class RunConfig:
    """How to grade: which problems, which claims, which seeds, which sandbox."""

    mode: str = "grade"  # grade: all claims, per-student seeds; check: public claims, public seeds
    problems: tuple = ()  # problem names; empty means all
    sandbox: SandboxConfig = field(default_factory=SandboxConfig)
    secret: str = "public"

    @property
    def hidden(self) -> bool:
        """Whether hidden claims run."""
        return self.mode == "grade"


def load_problems(names: tuple = ()) -> tuple[Problem, ...]:
    """The selected problems, each validated (claims name real parts, points add up)."""
    problems = select(discover(), list(names) or None)
    for p in problems:
        validate(p)
    return problems


def _stage(outcome: Outcome) -> Outcome:
    """The outcome without its value, for the report (values are big; errors and timings are not)."""
    return replace(outcome, value=None)


def grade_submission(path: Path, problems: tuple[Problem, ...], config: RunConfig) -> Report:
    """Grade one submission folder or .zip through every stage; always returns a Report."""
    student = student_id(path)
    titles = tuple((p.name, p.title) for p in problems)
    claims = {p.name: claims_of(p) for p in problems}
    with tempfile.TemporaryDirectory(prefix="hw7-") as scratch:
        loaded = Outcome.of("load", lambda: load(path, Path(scratch)), catch=(SubmissionError,))
        if not loaded.ok:
            why = f"not graded: the submission could not be loaded ({loaded.error.split(': ', 1)[-1]})"
            results = not_answered_results(problems, claims, config.hidden, why)
            return Report(student, config.mode, "unreadable", results, score(problems, results), (_stage(loaded),),
                          load_error=loaded.error.split(": ", 1)[-1], sandboxed=config.sandbox.use_bwrap,
                          problems=titles)
        extracted = Outcome.of("extract", lambda: extract_answers(loaded.value, problems))
        sub = extracted.value if extracted.ok else loaded.value
        answers = Answers(sub, config.sandbox)
        seeds = Seeds(config.secret, sub.student) if config.mode == "grade" else Seeds.public()
        collected = Outcome.of("collect", answers.start, catch=(GraderError,))
        try:
            checked = Outcome.of("checks", lambda: run_claims(answers, problems, config.hidden, seeds))
            responded = Outcome.of("responses", lambda: free_responses(answers, problems), catch=(GraderError,))
        finally:
            output = answers.close()
        failed = checked if not checked.ok else (extracted if not extracted.ok else None)
        if failed is not None:  # the grader itself failed (checking, or reading a transcript): nothing is credited
            why = f"not graded: the grader failed at the {failed.stage} stage ({failed.error})"
            results, staff = not_answered_results(problems, claims, config.hidden, why), (failed.error,)
            results = tuple(replace(r, status="check_broken") for r in results)
        else:
            results, staff = checked.value
        scored = Outcome.of("score", lambda: score(problems, results))
        import_error = None
        if collected.ok and collected.value is not None and collected.value.failed:
            import_error = collected.value.describe()
        elif not collected.ok:
            import_error = collected.error
        notes = tuple(sub.notes) + tuple(f"[staff] {n}" for n in staff)
        stages = tuple(map(_stage, (loaded, extracted, collected, checked, responded, scored)))
        return Report(student, config.mode, sub.kind, results, scored.value or (), stages,
                      import_error=import_error, notes=notes, output=output, sandboxed=config.sandbox.use_bwrap,
                      problems=titles, responses=responded.value or ())


def submissions_in(folder: Path) -> list[Path]:
    """The submission folders and .zip files directly inside `folder`, sorted."""
    if not folder.is_dir():
        raise GraderError(f"{folder} is not a folder of submissions")
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith((".", "_")) and (p.is_dir() or p.suffix.lower() == ".zip"))


def _grade_one(args) -> Report:
    path, names, config = args
    problems = load_problems(names)
    try:
        return grade_submission(path, problems, config)
    except Exception as exc:  # a grader bug on one submission: reported as such, the batch goes on
        import traceback

        why = f"not graded: the grader crashed on this submission ({type(exc).__name__}: {exc})"
        claims = {p.name: claims_of(p) for p in problems}
        results = tuple(replace(r, status="check_broken") for r in not_answered_results(problems, claims, config.hidden, why))
        return Report(student_id(path), config.mode, "grader_error", results, score(problems, results),
                      notes=(f"[staff] {traceback.format_exc()[-3000:]}",), load_error=why,
                      sandboxed=config.sandbox.use_bwrap, problems=tuple((p.name, p.title) for p in problems))


def grade_many(paths: list[Path], config: RunConfig, jobs: int | None = None) -> list[Report]:
    """Grade many submissions, `jobs` at a time (default: one per core), in order."""
    load_problems(config.problems)  # fail fast on a broken problem, before any student
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
