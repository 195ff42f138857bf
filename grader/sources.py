"""Where a batch's submissions come from: one folder of submissions, or several graded as one batch.

`grader grade A B C --out OUT` grades the submissions of every folder into one
OUT. Ids stay the submissions' names while they are unique; when two folders
hold submissions of the same name, every id is prefixed with its folder's name
(`pca_autoencoder-correct_notebook`), so no report overwrites another. With
`--per-problem-dirs` each folder is named after a problem and its submissions
are graded on that problem only (the layout of `submissions/examples/`).
grader.batch grades the sources; a worker names a report after its folder, and
the batch gives it the source's id.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.errors import ConfigError, did_you_mean
from grader.load import SAFE_ID, student_id
from grader.outdir import BATCH_FILES
from grader.pipeline import submissions_in


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
    clash = [s for s in out if s.student.lower() in BATCH_FILES]
    if clash:
        raise ConfigError("a submission would be written where the batch writes its own file: "
                          + "; ".join(f"{s.path} -> OUT/{s.student}" for s in clash)
                          + f". Rename it (say, to {clash[0].student.replace('.', '_')}); no student id may be one of "
                          + ", ".join(BATCH_FILES))
    ids = [s.student for s in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ConfigError(f"two submissions would be written to the same OUT/<student> folder: {', '.join(twice)}; "
                          "give folders with different names (or rename the submissions)")
    return out
