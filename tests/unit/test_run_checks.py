"""The claim runner: outcomes become results, broken checks never give credit, declarations are validated."""
import sys
import textwrap

import pytest

from grader.sandbox import SandboxConfig

from grader.errors import ConfigError, NotAnswered
from grader.problem import load_problem
from grader.run_checks import BROKEN_MESSAGE, Seeds, run_claims, validate
from grader.score import score

INIT = """
from grader.problem import Part, Problem
PROBLEM = Problem(name="demo", title="Demo", parts=(
    Part("a", points=4, answer="int"),
    Part("essay", points=2, answer="free response", kind="manual"),
))
"""

CHECKS = """
from grader.claims import claim
from grader.errors import Wrong, Partial

@claim("a", points=1)
def a_passes(answers):
    answers.value("a")

@claim("a", points=1)
def a_is_partly_right(answers):
    raise Partial(0.5, "half")

@claim("a", points=1, visibility="hidden")
def a_check_is_broken(answers):
    return {}["missing"]

@claim("a", points=1)
def a_uses_a_plain_assert(answers, rng, seed):
    assert rng.integers(10**9) >= 0 and seed >= 0
    assert answers.value("a") == 2, "a should be 2"

@claim("essay", points=2)
def essay_is_long_enough(answers):
    raise Wrong("too short")
"""


class FakeAnswers:
    def __init__(self, values):
        self.values = values

    def value(self, name, spec=None):
        if name not in self.values:
            raise NotAnswered(f"{name} is not answered")
        return self.values[name]


@pytest.fixture
def demo(tmp_path, monkeypatch):
    def make(init=INIT, checks=CHECKS, pkg="fakeprobs_x"):
        root = tmp_path / pkg / "demo"
        root.mkdir(parents=True)
        (tmp_path / pkg / "__init__.py").write_text("")
        (root / "__init__.py").write_text(textwrap.dedent(init))
        (root / "checks.py").write_text(textwrap.dedent(checks))
        monkeypatch.syspath_prepend(str(tmp_path))
        for m in [m for m in sys.modules if m.startswith(pkg)]:
            del sys.modules[m]
        return load_problem(f"{pkg}.demo")
    return make


def test_outcomes_become_results(demo):
    problem = demo()
    validate(problem)
    results, notes = run_claims(FakeAnswers({"a": 3, "essay": "x"}), (problem,), hidden=True, seeds=Seeds.public())
    got = {r.claim: (r.status, r.score) for r in results}
    assert got == {"a_passes": ("passed", 1.0), "a_is_partly_right": ("partial", 0.5),
                   "a_check_is_broken": ("check_broken", 0.0), "a_uses_a_plain_assert": ("wrong", 0.0),
                   "essay_is_long_enough": ("pending", 0.0)}
    assert any("a_check_is_broken" in n and "KeyError" in n for n in notes)
    assert next(r for r in results if r.claim == "a_uses_a_plain_assert").message == "a should be 2"
    parts = {p.part: (p.status, p.score, p.points) for p in score((problem,), results)}
    assert parts == {"a": ("partial", 1.5, 4.0), "essay": ("pending", 0.0, 2.0)}


def test_public_mode_skips_hidden_claims(demo):
    problem = demo(pkg="fakeprobs_y")
    results, _ = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=False, seeds=Seeds.public())
    assert "a_check_is_broken" not in {r.claim for r in results}
    parts = {p.part: (p.score, p.points) for p in score((problem,), results)}
    assert parts["a"] == (2.5, 3.0)


def test_missing_answer_on_a_manual_part_scores_zero_not_pending(demo):
    checks = CHECKS.replace('raise Wrong("too short")', 'answers.value("essay")\n    raise Wrong("too short")')
    problem = demo(checks=checks, pkg="fakeprobs_z")
    results, _ = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=True, seeds=Seeds.public())
    assert {p.part: p.status for p in score((problem,), results)}["essay"] == "not_answered"
    results, _ = run_claims(FakeAnswers({"a": 2, "essay": "hm"}), (problem,), hidden=True, seeds=Seeds.public())
    assert {p.part: p.status for p in score((problem,), results)}["essay"] == "pending"


def test_a_checks_file_that_fails_to_import_gives_no_credit(demo):
    problem = demo(pkg="fakeprobs_w")
    (problem.root / "checks.py").write_text(CHECKS + "\nraise RuntimeError('broken module')\n")
    for m in [m for m in sys.modules if m.startswith("fakeprobs_w")]:
        sys.modules.pop(m)
    with pytest.raises(RuntimeError):
        validate(problem)


def test_points_must_add_up(demo):
    problem = demo(init=INIT.replace("points=4", "points=5"), pkg="fakeprobs_v")
    with pytest.raises(ConfigError, match=r"demo.a: the part is declared worth 5 points, but its claims add up to 4"):
        validate(problem)


def test_unknown_part_suggests_a_name(demo):
    problem = demo(checks=CHECKS.replace('@claim("essay"', '@claim("esay"'), pkg="fakeprobs_u")
    with pytest.raises(ConfigError, match=r"part 'esay'.*Did you mean 'essay'\?"):
        validate(problem)


def test_seeds_differ_per_student_and_claim_and_are_stable():
    a, b = Seeds("s", "alice"), Seeds("s", "bob")
    assert a.seed("p", "c") == Seeds("s", "alice").seed("p", "c")
    assert len({a.seed("p", "c"), b.seed("p", "c"), a.seed("p", "d"), Seeds("t", "alice").seed("p", "c")}) == 4


def test_a_pass_note_is_the_passing_message(demo):
    checks = CHECKS.replace('def a_passes(answers):\n    answers.value("a")\n',
                            'def a_passes(answers, pass_note):\n    answers.value("a")\n'
                            '    pass_note("took 1.5x the reference")\n', 1)
    problem = demo(checks=checks, pkg="fakeprobs_t")
    results, notes = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=True, seeds=Seeds.public())
    first = next(r for r in results if r.claim == "a_passes")
    assert (first.status, first.score, first.message) == ("passed", 1.0, "took 1.5x the reference")
    assert not any("a_passes" in n for n in notes)


@pytest.mark.parametrize("returned", ['"took 1.5x the reference"', "answers.value('a') == 3", "True", "0"])
def test_a_claim_that_returns_a_value_is_a_broken_check_never_a_pass(demo, returned):
    """`return got == expected` is False for a wrong answer, and pytest would count it as a pass."""
    checks = CHECKS.replace('    answers.value("a")\n', f'    return {returned}\n', 1)
    problem = demo(checks=checks, pkg=f"fakeprobs_r{abs(hash(returned)) % 10_000}")
    results, notes = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=True, seeds=Seeds.public())
    first = next(r for r in results if r.claim == "a_passes")
    assert (first.status, first.score) == ("check_broken", 0.0)
    assert first.message == BROKEN_MESSAGE  # the student is not shown the internals
    assert any("a_passes" in n and "ClaimReturnedValue" in n and "returning None" in n for n in notes)


def test_a_broken_check_makes_grade_exit_2(demo, tmp_path):
    """The report of a submission with a broken check needs staff, which is what makes `grader grade` exit 2."""
    from grader import pipeline

    checks = CHECKS.replace('    answers.value("a")\n', '    return answers.value("a") == 3\n', 1)
    problem = demo(checks=checks, pkg="fakeprobs_q")
    folder = tmp_path / "subs" / "alice"
    folder.mkdir(parents=True)
    (folder / "answers.py").write_text("a = 2\n")
    report = pipeline.grade_submission(folder, (problem,), pipeline.RunConfig(sandbox=SandboxConfig(use_bwrap=False)))
    broken = next(c for c in report.checks if c.claim == "a_passes")
    assert report.needs_staff and (broken.status, broken.score) == ("check_broken", 0.0)
    assert any("a_passes" in n for n in report.staff_notes)


def test_pytest_itself_is_told_that_a_returned_value_is_an_error(demo):
    """pytest's warning for a test that returned a value is an error inside a run, as -W error makes it in pytest.main."""
    from grader import run_checks

    assert "error::pytest.PytestReturnNotNoneWarning" in run_checks.PYTEST_ARGS
    checks = CHECKS.replace('    answers.value("a")\n', '    answers.value("a")\n'
                            '    import warnings, pytest\n'
                            '    warnings.warn(pytest.PytestReturnNotNoneWarning("returned a value"))\n', 1)
    problem = demo(checks=checks, pkg="fakeprobs_n")
    results, notes = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=True, seeds=Seeds.public())
    warned = next(r for r in results if r.claim == "a_passes")
    assert (warned.status, warned.score) == ("check_broken", 0.0)
    assert any("returned a value" in n for n in notes)


def test_a_transcript_reader_that_crashes_gives_no_credit_and_flags_staff(tmp_path, monkeypatch):
    from grader import pipeline

    def broken(sub, problems):
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(pipeline, "extract_answers", broken)
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "transcript.md").write_text("Answer: <sos>, I, see, a, dog\n")
    report = pipeline.grade_path(folder, problems=("seq2seq_translation",), use_bwrap=False)
    assert report.score == 0 and {c.status for c in report.checks} == {"check_broken"}
    assert any("extractor bug" in n for n in report.staff_notes)
    assert not any("extractor bug" in n for n in report.notes)


def test_after_due_claims_run_only_when_grading_and_show_their_feedback(demo):
    from grader.report import results_json, student_message
    from grader.model import Report

    checks = CHECKS.replace('@claim("a", points=1, visibility="hidden")', '@claim("a", points=1, visibility="after_due")')
    checks = checks.replace('return {}["missing"]', 'raise Wrong("3 is the answer to another question")')
    problem = demo(checks=checks, pkg="fakeprobs_s")
    public, _ = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=False, seeds=Seeds.public())
    assert "a_check_is_broken" not in {r.claim for r in public}
    graded, _ = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=True, seeds=Seeds.public())
    late = next(r for r in graded if r.claim == "a_check_is_broken")
    assert (late.status, late.visibility) == ("wrong", "after_due")
    assert student_message(late, after_due_feedback=True) == "3 is the answer to another question"
    assert student_message(late, after_due_feedback=False) == "Graded; its feedback is shown after the due date."
    report = Report("alice", "grade", "module", checks=graded, parts=score((problem,), graded), after_due_feedback=True)
    entry = next(t for t in results_json(report)["tests"] if t["extra_data"]["claim"] == "a_check_is_broken")
    assert (entry["visibility"], entry["output"]) == ("after_due_date", "3 is the answer to another question")


def test_an_unknown_visibility_is_refused():
    from grader.claims import claim as declare

    with pytest.raises(ConfigError, match="visibility must be one of"):
        declare("a", points=1, visibility="secret")


# --- one pytest session for many submissions ------------------------------------------------------------
def _no_address(message: str) -> str:
    """A message without object addresses (pytest's assertion details name the FakeAnswers object)."""
    import re

    return re.sub(r"0x[0-9a-f]+", "0x", message)


def test_a_claim_session_grades_each_submission_on_its_own_answers(demo):
    from grader.run_checks import ClaimSession

    problem = demo(pkg="fakeprobs_r")
    alone = {}
    for name, values in (("right", {"a": 2, "essay": "x"}), ("wrong", {"a": 3}), ("empty", {})):
        alone[name] = run_claims(FakeAnswers(values), (problem,), hidden=True, seeds=Seeds("s", name))
    with ClaimSession((problem,), hidden=True) as session:
        # In turn, and again: each run gives what a pytest session of its own gives, whatever ran before.
        for name, values in (("right", {"a": 2, "essay": "x"}), ("wrong", {"a": 3}), ("empty", {}),
                             ("right", {"a": 2, "essay": "x"})):
            results, notes = run_claims(FakeAnswers(values), (problem,), hidden=True, seeds=Seeds("s", name),
                                        session=session)
            assert [(r.claim, r.status, r.score, _no_address(r.message)) for r in results] == [
                (r.claim, r.status, r.score, _no_address(r.message)) for r in alone[name][0]]
            assert len(notes) == len(alone[name][1]) == 1  # the broken check's traceback, for this run only
        assert session.plugin.results == {} and session.plugin._answers is None  # nothing kept between runs


def test_a_claim_session_runs_only_for_its_problems_and_mode(demo):
    from grader.run_checks import ClaimSession

    problem = demo(pkg="fakeprobs_q")
    with ClaimSession((problem,), hidden=False) as session:
        with pytest.raises(ValueError, match="other problems or another mode"):
            run_claims(FakeAnswers({"a": 2}), (problem,), hidden=True, seeds=Seeds.public(), session=session)
        results, _ = run_claims(FakeAnswers({"a": 2}), (problem,), hidden=False, seeds=Seeds.public(), session=session)
    assert "a_check_is_broken" not in {r.claim for r in results}


def test_a_collection_error_scores_nothing_in_a_session(demo):
    """As pytest.main runs nothing after a collection error, a session that had one runs nothing either."""
    from grader.run_checks import ClaimSession

    problem = demo(pkg="fakeprobs_p")
    with ClaimSession((problem,), hidden=True) as session:
        session.plugin.collect_errors.append("demo/checks.py: ImportError: broken module")
        for _ in range(2):
            results, notes = session.run(FakeAnswers({"a": 2}), Seeds.public())
            assert {r.status for r in results} == {"check_broken"} and sum(r.score for r in results) == 0
            assert any("broken module" in n for n in notes)


def test_pytest_failing_inside_a_run_breaks_only_that_session(demo, monkeypatch):
    from grader import run_checks
    from grader.run_checks import ClaimSession

    problem = demo(pkg="fakeprobs_o")
    with ClaimSession((problem,), hidden=True) as session:
        monkeypatch.setattr(run_checks, "runtestprotocol", lambda item, **kw: (_ for _ in ()).throw(RuntimeError("boom")))
        results, notes = session.run(FakeAnswers({"a": 2}), Seeds.public())
        assert {r.status for r in results} == {"check_broken"} and session.broken
        assert any("pytest failed while running the claims" in n and "boom" in n for n in notes)


# --- what claims record: metrics (a leaderboard) and the answer read (the class report) ----------------------
RECORDING_CHECKS = """
from grader.claims import Metric, claim
from grader.errors import Wrong

def normalized_answer(part, value):
    return f"a={value}" if part == "a" else None

@claim("a", points=1)
def a_is_timed(answers, record_property):
    value = answers.value("a")
    if value == 3:
        raise Wrong("a is not 2")  # before anything is recorded
    record_property("metric", Metric("Time (s)", value, "asc"))
    record_property("answer", f"recorded {value}")
"""

GRADED_CHECKS = """
from grader.claims import claim
from grader.errors import Wrong

@claim("a", points=1, visibility="hidden")
def a_is_two_when_graded(answers):
    if answers.value("a") != 2:
        raise Wrong("a is not 2")
"""


def test_what_a_claim_recorded_belongs_to_its_own_submission_in_a_session(demo):
    """A reused session's items keep pytest's user_properties: each run starts them empty."""
    from grader.run_checks import ClaimSession

    problem = demo(checks=RECORDING_CHECKS, pkg="fakeprobs_m")
    with ClaimSession((problem,), hidden=False) as session:
        first, _ = session.run(FakeAnswers({"a": 5}), Seeds.public())
        second, _ = session.run(FakeAnswers({"a": 3}), Seeds.public())
    timed = {r.claim: r for r in first}["a_is_timed"]
    assert timed.status == "passed" and [(m.name, m.value) for m in timed.metrics] == [("Time (s)", 5.0)]
    assert timed.answer == "recorded 5"
    wrong = {r.claim: r for r in second}["a_is_timed"]
    # Nothing of the first submission: no metric, and the answer as the problem's normalizer reads it.
    assert wrong.status == "wrong" and wrong.metrics == () and wrong.answer == "a=3"


def test_a_graded_claim_groups_its_wrong_answers_with_the_public_checks_normalizer(demo):
    from grader.problem import GRADED_MODULE

    problem = demo(checks=RECORDING_CHECKS, pkg="fakeprobs_n")
    (problem.root / f"{GRADED_MODULE}.py").write_text(textwrap.dedent(GRADED_CHECKS))
    results, _ = run_claims(FakeAnswers({"a": 4}), (problem,), hidden=True, seeds=Seeds.public())
    graded = {r.claim: r for r in results}["a_is_two_when_graded"]
    assert graded.status == "wrong" and graded.answer == "a=4"
