"""Several folders as one batch (grader.sources): ids, each source graded on its problems by grader.batch."""
import io
from pathlib import Path

import pytest

from grader import sources
from grader.model import Report
from grader.batch import Batch, BatchOptions, InlineEngine
from grader.errors import GraderError
from grader.pipeline import RunConfig
from grader.sandbox import SandboxConfig


def folders(tmp_path, layout: dict[str, list[str]]) -> list[Path]:
    out = []
    for folder, names in layout.items():
        for name in names:
            (tmp_path / folder / name).mkdir(parents=True)
        out.append(tmp_path / folder)
    return out


def test_ids_are_prefixed_only_when_two_folders_share_a_name(tmp_path):
    a, b = folders(tmp_path, {"seq2seq_translation": ["x", "y"], "pca_autoencoder": ["x"]})
    found = sources.batch_sources([a, b], per_problem_dirs=True, known=("seq2seq_translation", "pca_autoencoder"))
    assert [s.student for s in found] == ["seq2seq_translation-x", "seq2seq_translation-y", "pca_autoencoder-x"]
    assert [s.problems for s in found] == [("seq2seq_translation",)] * 2 + [("pca_autoencoder",)]
    assert [s.student for s in sources.batch_sources([a])] == ["x", "y"]


def test_a_batch_of_sources_grades_each_on_its_problems_under_its_batch_id(tmp_path):
    a, b = folders(tmp_path, {"seq2seq_translation": ["x", "y"], "pca_autoencoder": ["x"]})
    for d in (a, b):
        for sub in d.iterdir():
            (sub / "answers.py").write_text("x = 1\n")
    found = sources.batch_sources([a, b], per_problem_dirs=True, known=("seq2seq_translation", "pca_autoencoder"))
    seen = []

    def grade(path, problems, config, seeds=None):
        # A worker names a report after the folder it graded (the snapshot keeps the folder's own name).
        seen.append((path.name, tuple(p.name for p in problems), tuple(sorted({s[0] for s in seeds.seeds}))))
        return Report(path.name, "grade", "module", (), ())

    config = RunConfig("grade", (), SandboxConfig(use_bwrap=False), "s")
    run = Batch(found, config, tmp_path / "out", BatchOptions(jobs=1, bar=False), stream=io.StringIO(),
                engine_factory=lambda batch: InlineEngine(batch.worker_config, grade))
    result = run.run()
    assert seen == [("x", ("seq2seq_translation",), ("seq2seq_translation",)),
                    ("y", ("seq2seq_translation",), ("seq2seq_translation",)),
                    ("x", ("pca_autoencoder",), ("pca_autoencoder",))]
    assert [r.student for r in result.reports] == ["seq2seq_translation-x", "seq2seq_translation-y",
                                                   "pca_autoencoder-x"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if (p / "results.json").is_file()) == \
        ["pca_autoencoder-x", "seq2seq_translation-x", "seq2seq_translation-y"]
    # What a restricted source's grading depends on names its problems: the same bytes graded on every
    # problem are not "already graded".
    assert run.config_hash_of("pca_autoencoder-x") != run.config_hash_of("seq2seq_translation-x")
    assert run.config_hash_of("pca_autoencoder-x") != run.config_hash


def test_a_source_on_a_problem_outside_the_run_is_refused(tmp_path):
    (tmp_path / "x").mkdir()
    config = RunConfig("grade", ("seq2seq_translation",), SandboxConfig(use_bwrap=False), "s")
    with pytest.raises(GraderError, match="expected x's problems among this run's"):
        Batch([sources.Source(tmp_path / "x", ("pca_autoencoder",), "x")], config, tmp_path / "out", BatchOptions())


def test_two_submissions_that_would_share_a_folder_are_refused(tmp_path):
    a, b = folders(tmp_path, {"one/p": ["x"], "two/p": ["x"]})
    with pytest.raises(sources.ConfigError, match="same OUT/<student> folder"):
        sources.batch_sources([a, b])


def test_a_submission_named_like_a_batch_file_is_refused_before_anything_is_written(tmp_path):
    """A folder `summary.html` (or `Grades.CSV`) would collide with OUT's own file of that name."""
    (a,) = folders(tmp_path, {"subs": ["alice", "summary.html"]})
    with pytest.raises(sources.ConfigError) as info:
        sources.batch_sources([a])
    assert str(info.value).startswith(f"a submission would be written where the batch writes its own file: "
                                      f"{a / 'summary.html'} -> OUT/summary.html. Rename it (say, to summary_html)")
    (b,) = folders(tmp_path, {"other": ["Grades.CSV"]})
    with pytest.raises(sources.ConfigError, match="Grades.CSV"):
        sources.batch_sources([b])
    (c,) = folders(tmp_path, {"fine": ["summary", "grades_csv"]})
    assert [s.student for s in sources.batch_sources([c])] == ["grades_csv", "summary"]
