"""Every example submission is graded (all checks, hidden included) to its expected part scores."""
import json
import shutil

import pytest

from grader.pipeline import grade_path
from tests.conftest import EXAMPLES

CASES = sorted(p for p in EXAMPLES.glob("*/*") if p.is_dir())
STATUSES = ("pending", "not_answered", "format", "error", "wrong", "optional")


def test_every_example_has_expected_scores():
    missing = [str(p.relative_to(EXAMPLES)) for p in CASES if not (p / "expected.json").is_file()]
    assert CASES and not missing


@pytest.mark.parametrize("folder", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_example_graded_to_expected_score(folder):
    expected = json.loads((folder / "expected.json").read_text())["parts"]
    problem = folder.parent.name
    report = grade_path(folder, mode="grade", problems=(problem,), use_bwrap=shutil.which("bwrap") is not None,
                        secret="test-secret")
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
