"""Every example submission is graded (all checks, hidden included) to its expected part scores.

They are graded as a batch grades them, in one `GradingSession` (zygote workers, one
pytest session per problem); a sample is graded fresh too, and must give the same report.
"""
import json
import shutil

import pytest

from grader.pipeline import GradingSession, RunConfig, grade_path, load_problems
from grader.sandbox import SandboxConfig
from tests.conftest import EXAMPLES

CASES = sorted(p for p in EXAMPLES.glob("*/*") if p.is_dir())
STATUSES = ("pending", "not_answered", "format", "error", "wrong", "optional")


def test_every_example_has_expected_scores():
    missing = [str(p.relative_to(EXAMPLES)) for p in CASES if not (p / "expected.json").is_file()]
    assert CASES and not missing


BWRAP = shutil.which("bwrap") is not None


@pytest.fixture(scope="module")
def session():
    """One grading session for every example, as one batch worker has."""
    with GradingSession() as s:
        yield s
    assert not s.notes, s.notes  # the zygote worked: no example was graded in a fallback


def graded(session, folder):
    """The report of an example, graded in `session`."""
    problem = folder.parent.name
    config = RunConfig("grade", (problem,), SandboxConfig(use_bwrap=BWRAP), "test-secret")
    return session.grade(folder, load_problems((problem,)), config)


@pytest.mark.parametrize("folder", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_example_graded_to_expected_score(folder, session):
    expected = json.loads((folder / "expected.json").read_text())["parts"]
    report = graded(session, folder)
    got = {p.part: p for p in report.parts}
    assert set(expected) <= set(got), f"unknown parts in expected.json: {set(expected) - set(got)}"
    for part, want in expected.items():
        p = got[part]
        if isinstance(want, str):
            assert want in STATUSES, f"bad expected status {want!r}"
            assert (p.status, p.score) == (want, 0), f"{part}: {p.status} {p.score}\n" + "\n".join(
                c.message for c in report.checks if c.part == part)
        else:
            assert p.score == pytest.approx(want), f"{part}: scored {p.score}, expected {want}\n" + "\n".join(
                f"{c.claim}: {c.status} {c.message}" for c in report.checks if c.part == part)
    assert not any(c.status == "check_broken" for c in report.checks), report.staff_notes


SAMPLE = [EXAMPLES / case for case in (
    "seq2seq_translation/correct", "seq2seq_translation/import_error", "seq2seq_translation/function_crashes",
    "seq2seq_translation/correct_notebook", "pca_autoencoder/correct_plain", "pca_autoencoder/pca_crash",
    "pca_autoencoder/grad_transpose", "resnet_blog/correct_numbers", "resnet_blog/format_errors",
    "regularized_autoencoder/correct_mean_loss")]


@pytest.mark.parametrize("folder", SAMPLE, ids=[f"{p.parent.name}/{p.name}" for p in SAMPLE])
def test_a_session_grades_as_a_fresh_start_does(folder, session):
    """The zygote's workers and the reused pytest session change nothing in a report but its timings."""
    fresh = grade_path(folder, mode="grade", problems=(folder.parent.name,), use_bwrap=BWRAP, secret="test-secret")
    reused = graded(session, folder)

    def essence(report):
        return ([(c.problem, c.claim, c.status, c.score, c.message) for c in report.checks],
                [(p.part, p.status, p.score) for p in report.parts], report.import_error, report.notes,
                report.staff_notes, report.responses, report.output)

    assert essence(reused) == essence(fresh)
