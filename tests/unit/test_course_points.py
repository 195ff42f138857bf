"""A course gives points to a part declared with 0 (the derivation checks): its claims share them equally."""
import pytest

from grader.config import parse_config
from grader.pipeline import load_problems
from grader.run_checks import claim_points, claims_of, validate
from grader.score import not_answered_results


def course(points: dict):
    return parse_config({"points": points}, load_problems())


def test_a_zero_point_part_shares_the_course_s_points_among_its_claims():
    (pca,) = course({"pca_autoencoder.derivations": 3}).apply(load_problems(("pca_autoencoder",)))
    validate(pca)  # the claims add up to the part's new points
    part = pca.part("derivations")
    assert (part.points, part.shared_points) == (3, 3)
    mine = [c for _, c in claims_of(pca) if c.part == "derivations"]
    assert [claim_points(pca, c) for c in mine] == [1.5, 1.5]
    # Parts with points are scaled as before.
    assert [claim_points(pca, c) for _, c in claims_of(pca) if c.part == "grad_W1"] == [
        c.points for _, c in claims_of(load_problems(("pca_autoencoder",))[0]) if c.part == "grad_W1"]


def test_by_default_the_derivation_checks_are_worth_nothing():
    (pca,) = load_problems(("pca_autoencoder",))
    assert pca.part("derivations").points == 0
    assert [claim_points(pca, c) for _, c in claims_of(pca) if c.part == "derivations"] == [0, 0]


def test_a_report_that_earned_nothing_carries_the_shared_points():
    (pca,) = course({"pca_autoencoder.derivations": 2}).apply(load_problems(("pca_autoencoder",)))
    results = not_answered_results((pca,), {pca.name: claims_of(pca)}, True, "not loaded")
    assert sum(r.points for r in results if r.part == "derivations") == 2


def test_graded_with_points_the_derivation_part_earns_what_its_steps_earn(tmp_path):
    from grader.pipeline import RunConfig, grade_submission
    from grader.sandbox import SandboxConfig
    from tests import chat_formats as cf

    folder = tmp_path / "alice"
    folder.mkdir()
    slip = cf.replace_reply(1, r"= 2 W_2^\top (W_2 W_1 - I) X X^\top$$", r"= 2 W_2^\top (W_2 W_1 + I) X X^\top$$")
    (folder / "transcript.md").write_text(cf.markdown("cursor", slip), encoding="utf-8")
    points = course({"pca_autoencoder.derivations": 2})
    problems = load_problems(("pca_autoencoder",), points)
    report = grade_submission(folder, problems, RunConfig("grade", ("pca_autoencoder",), SandboxConfig(False), "s",
                                                          points))
    part = next(p for p in report.parts if p.part == "derivations")
    assert (part.points, part.score, part.status) == (2, 1, "partial")  # part (ii) holds, part (i) has the slip


@pytest.mark.parametrize("points", [0, 0.0])
def test_giving_a_zero_part_zero_points_changes_nothing(points):
    (pca,) = course({"pca_autoencoder.derivations": points}).apply(load_problems(("pca_autoencoder",)))
    assert pca.part("derivations").shared_points == 0


def test_the_derivation_checks_read_only_a_chat_and_mark_each_step():
    from problems.pca_autoencoder import checks
    from tests.chat_helpers import answers
    from tests.fakes import FakeAnswers

    notes = []
    with pytest.raises(checks.NotAnswered, match="is code, not a chat"):
        checks.derivation_steps_of_the_pca_argument_hold(FakeAnswers({"pca_autoencoder:equations": []}), notes.append)
    from tests import chat_formats as cf

    data = answers(cf.markdown("cursor"), "pca_autoencoder")["pca_autoencoder:equations"]
    fake = FakeAnswers(chat={"pca_autoencoder:equations": data})
    assert checks.derivation_steps_of_the_pca_argument_hold(fake, notes.append) is None
    assert notes == ["all 9 derivation steps about the PCA argument (part (ii)) hold"]
    assert set(v for v, _ in fake.marks.values()) == {"holds"} and len(fake.marks) == 9
