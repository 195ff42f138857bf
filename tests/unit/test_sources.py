"""Several folders as one batch (grader.sources): ids, groups by problem, and a stop request between groups."""
from pathlib import Path

import pytest

from grader import sources
from grader.model import Report
from grader.pipeline import Batch, RunConfig
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


class FakeStop:
    """A stop request that arrives while the first group is graded."""

    requested = False
    name = ""


def test_a_stop_ends_the_batch_and_names_every_submission_not_graded(tmp_path, monkeypatch):
    a, b = folders(tmp_path, {"seq2seq_translation": ["x", "y"], "pca_autoencoder": ["x"]})
    found = sources.batch_sources([a, b], per_problem_dirs=True, known=("seq2seq_translation", "pca_autoencoder"))
    stop, seen, progress = FakeStop(), [], []

    def grade_many(paths, config, jobs=None, stop=None, on_graded=None):
        seen.append(config.problems)
        first = Report(paths[0].name, "grade", "module", (), ())
        on_graded(first, 1, len(paths))
        stop.requested, stop.name = True, "SIGTERM"  # the signal arrives after the first submission
        return Batch((first,), tuple(paths[1:]), "SIGTERM")

    monkeypatch.setattr(sources, "grade_many", grade_many)
    config = RunConfig("grade", (), SandboxConfig(use_bwrap=False), "s")
    batch = sources.grade_sources(found, config, stop=stop, on_graded=lambda r, d, t: progress.append((r.student, d, t)))
    assert seen == [("seq2seq_translation",)]  # the second group never started
    assert [r.student for r in batch.reports] == ["seq2seq_translation-x"]
    assert batch.not_graded == (a / "y", b / "x") and batch.stopped_by == "SIGTERM"
    assert progress == [("seq2seq_translation-x", 1, 3)]


def test_two_submissions_that_would_share_a_folder_are_refused(tmp_path):
    a, b = folders(tmp_path, {"one/p": ["x"], "two/p": ["x"]})
    with pytest.raises(sources.ConfigError, match="same OUT/<student> folder"):
        sources.batch_sources([a, b])
