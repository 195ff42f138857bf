"""Where a batch's submissions come from: one folder of submissions, or several graded as one batch.

`grader grade A B C --out OUT` grades the submissions of every folder into one
OUT. Ids stay the submissions' names while they are unique; when two folders
hold submissions of the same name, every id is prefixed with its folder's name
(`pca_autoencoder-correct_notebook`), so no report overwrites another. With
`--per-problem-dirs` each folder is named after a problem and its submissions
are graded on that problem only (the layout of `submissions/examples/`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from grader.errors import ConfigError, did_you_mean
from grader.load import SAFE_ID, student_id
from grader.model import Report
from grader.pipeline import Batch, RunConfig, StopRequest, grade_many, submissions_in


@dataclass(frozen=True)
class Source:
    """One submission of the batch: where it is, the problems it is graded on (() = the run's), its id."""

    path: Path
    problems: tuple[str, ...]
    student: str


def batch_sources(dirs: list[Path], per_problem_dirs: bool = False, known: tuple[str, ...] = ()) -> list[Source]:
    """Every submission in `dirs`, in folder order then name order; ids unique across the batch."""
    found: list[tuple[Path, Path, tuple[str, ...]]] = []
    for d in dirs:
        problems: tuple[str, ...] = ()
        if per_problem_dirs:
            name = Path(d).resolve().name
            if name not in known:
                raise ConfigError(f"--per-problem-dirs: expected each folder to be named after a problem "
                                  f"({', '.join(known)}), got {d}.{did_you_mean(name, known)}")
            problems = (name,)
        found += [(Path(d), p, problems) for p in submissions_in(Path(d))]
    names = [student_id(p) for _, p, _ in found]
    prefix = len(set(names)) < len(names)
    out = []
    for (d, p, problems), name in zip(found, names):
        folder = SAFE_ID.sub("_", Path(d).resolve().name).strip("._") or "folder"
        out.append(Source(p, problems, f"{folder}-{name}" if prefix else name))
    ids = [s.student for s in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConfigError(f"two submissions would be written to the same OUT/<student> folder: {', '.join(twice)}; "
                          "give folders with different names (or rename the submissions)")
    return out


def grade_sources(sources: list[Source], config: RunConfig, jobs: int | None = None, stop: StopRequest | None = None,
                  on_graded: Callable[[Report, int, int], None] | None = None) -> Batch:
    """Grade every source, grouped by the problems it is graded on; reports in source order, under batch ids.

    `stop` and `on_graded` are grade_many's (`done` and `total` count the whole batch). A stop request
    ends the group being graded and starts no other: the batch holds what was graded, and names the rest.
    """
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, s in enumerate(sources):
        groups.setdefault(s.problems, []).append(i)
    reports: dict[int, Report] = {}
    not_graded: list[Path] = []
    stopped_by = ""
    for problems, where in groups.items():
        if stop is not None and stop.requested:
            not_graded += [sources[i].path for i in where]
            continue
        group_config = replace(config, problems=problems) if problems else config
        raw = [student_id(sources[i].path) for i in where]
        # grade_many names a report after its folder; shown in progress under its batch id where that is unambiguous
        ids = {name: sources[i].student for name, i in zip(raw, where) if raw.count(name) == 1}

        def graded(report: Report, done: int, total: int, before: int = len(reports)) -> None:
            if on_graded is not None:
                student = ids.get(report.student, report.student)
                on_graded(replace(report, student=student), before + done, len(sources))

        batch = grade_many([sources[i].path for i in where], group_config, jobs=jobs, stop=stop, on_graded=graded)
        left = set(batch.not_graded)
        not_graded += list(batch.not_graded)
        stopped_by = stopped_by or batch.stopped_by
        for i, report in zip([i for i in where if sources[i].path not in left], batch.reports):
            reports[i] = report if report.student == sources[i].student else replace(report, student=sources[i].student)
    return Batch(tuple(reports[i] for i in sorted(reports)), tuple(not_graded), stopped_by)
