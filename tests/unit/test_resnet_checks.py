"""The resnet_blog claims, called directly with an in-process stand-in for the engine's `answers`."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from grader.errors import FormatError, NotAnswered, Partial, StudentCrash, Wrong
from grader.problem import load_problem
from grader.run_checks import claims_of, validate
from grader.types import count_words
from problems.resnet_blog import checks, facts, speedrun
from problems.resnet_blog import graded_checks
from tests.fakes import FakeAnswers, call_claim

ESSAY = " ".join(["word"] * 100)
GOOD = {"baseline": {"time_s": 341, "accuracy": 0.94}, "final": {"time_s": 26, "accuracy": 0.94},
        "learned": ESSAY, "most_interesting": ESSAY}


def answers(**changes) -> FakeAnswers:
    """The good answers with some names changed (None removes a name)."""
    values = {**GOOD, **changes}
    return FakeAnswers({k: v for k, v in values.items() if v is not None})


def test_points_per_part_and_claims_agree():
    problem = load_problem("problems.resnet_blog")
    validate(problem)
    assert {p.name: p.points for p in problem.parts} == {"baseline": 3, "final": 3, "learned": 4,
                                                         "most_interesting": 4, "train_fast": 2}
    assert {p.name for p in problem.parts if p.kind == "manual"} == {"learned", "most_interesting"}
    assert problem.part("train_fast").kind == "function"


def test_public_claims_do_not_give_the_facts_away():
    problem = load_problem("problems.resnet_blog")
    claims = [(fn, c) for fn, c in claims_of(problem)]
    for fn, c in claims:
        if c.part in ("baseline", "final"):
            assert (c.visibility == "public") is (c.points == 0), fn
            assert not any(ch.isdigit() for ch in c.description), (fn, c.description)
    assert {c.visibility for _, c in claims if c.part in ("learned", "most_interesting", "train_fast")} == {"public"}


FACT_CLAIMS = [checks.baseline_is_a_readable_time_and_accuracy, checks.final_is_a_readable_time_and_accuracy,
               graded_checks.baseline_time_is_where_the_series_started, graded_checks.baseline_accuracy_is_the_series_threshold,
               graded_checks.final_time_is_where_the_series_ended, graded_checks.final_accuracy_is_the_series_threshold]


@pytest.mark.parametrize("baseline, final", [
    ({"time_s": 341, "accuracy": 0.94}, {"time_s": 26, "accuracy": 0.94}),
    ({"time_s": "356 s", "accuracy": "94%"}, {"time_s": "26 seconds", "accuracy": "94 %"}),
    ({"time_s": "297 seconds", "accuracy": 94}, {"time_s": "0.43 min", "accuracy": "94.1%"}),
    ({"time_s": "5:41", "accuracy": "94 percent"}, {"time_s": "~26 s", "accuracy": 0.941}),
    ({"time_s": 302.9, "accuracy": 0.9425}, {"time_s": 25.5, "accuracy": 94.0}),
])
def test_every_accepted_form_passes(baseline, final):
    a = answers(baseline=baseline, final=final)
    for claim in FACT_CLAIMS:
        assert call_claim(claim, a, reveal=True) is None
        assert call_claim(claim, a, reveal=False) is None


NOT_BASELINES = [f for f in facts.KNOWN_FIGURES if f not in facts.ACCEPTED_BASELINE_TIMES.accepted]
NOT_FINALS = [f for f in facts.KNOWN_FIGURES if f not in facts.ACCEPTED_FINAL_TIMES.accepted]


@pytest.mark.parametrize("figure", NOT_BASELINES, ids=lambda f: f"{f.seconds:g}s")
def test_a_known_wrong_baseline_is_named(figure):
    with pytest.raises(Wrong) as info:
        graded_checks.baseline_time_is_where_the_series_started(answers(baseline={"time_s": f"{figure.seconds:g} s", "accuracy": 0.94}), reveal=True)
    assert f"{figure.seconds:g} s is {figure.meaning} ({figure.source})." in info.value.message
    assert "expected: 341 s" in info.value.message


@pytest.mark.parametrize("figure", NOT_FINALS, ids=lambda f: f"{f.seconds:g}s")
def test_a_known_wrong_final_is_named(figure):
    with pytest.raises(Wrong) as info:
        graded_checks.final_time_is_where_the_series_ended(answers(final={"time_s": figure.seconds, "accuracy": 0.94}), reveal=True)
    assert f"is {figure.meaning} ({figure.source})." in info.value.message


@pytest.mark.parametrize("claim, values", [
    (graded_checks.final_time_is_where_the_series_ended, {"final": {"time_s": 341, "accuracy": 0.94}}),
    (graded_checks.baseline_time_is_where_the_series_started, {"baseline": {"time_s": "26 s", "accuracy": 0.94}}),
    (graded_checks.final_accuracy_is_the_series_threshold, {"final": {"time_s": 26, "accuracy": "0.94%"}}),
])
def test_without_reveal_no_figure_of_the_series_is_named(claim, values):
    """Before grades are out: what is wrong, never the accepted figure nor what the student's figure is."""
    with pytest.raises(Wrong) as info:
        claim(answers(**values), reveal=False)
    first = info.value.message.splitlines()[0]
    assert info.value.message.count("\n") == 1 and info.value.message.splitlines()[1].startswith("got: ")
    assert not any(f"{f.seconds:g} s" in first for f in facts.KNOWN_FIGURES) and "94" not in first


def test_an_unknown_wrong_time_gets_no_hint():
    with pytest.raises(Wrong) as info:
        graded_checks.final_time_is_where_the_series_ended(answers(final={"time_s": "12 s", "accuracy": 0.94}), reveal=True)
    assert " is the " not in info.value.message.splitlines()[0]
    assert info.value.got == "'12 s'"


@pytest.mark.parametrize("value, fault, phrase", [
    ("341 s, 94%", FormatError, "expected a dict with keys 'time_s', 'accuracy'"),
    ({"accuracy": 0.94}, FormatError, "missing 'time_s'"),
    ({"time_s": [341], "accuracy": 0.94}, FormatError, "baseline['time_s']"),
    ({"time_s": "341 parsecs", "accuracy": 0.94}, FormatError, "unknown time unit 'parsecs'"),
    ({"time_s": True, "accuracy": 0.94}, FormatError, "baseline['time_s']"),
    (None, NotAnswered, "baseline"),
])
def test_malformed_baselines(value, fault, phrase):
    with pytest.raises(fault) as info:
        graded_checks.baseline_time_is_where_the_series_started(answers(baseline=value), reveal=True)
    assert phrase in info.value.message


def test_readable_claim_reports_both_entries_and_passes_wrong_but_readable_facts():
    with pytest.raises(FormatError) as info:
        checks.final_is_a_readable_time_and_accuracy(answers(final={"time_s": "soon", "accuracy": [94]}))
    first, second = info.value.message.splitlines()
    assert first.startswith("final['time_s']: cannot read 'soon' as a time")
    assert second.startswith("final['accuracy']: expected an int or a float or a string")
    assert checks.final_is_a_readable_time_and_accuracy(answers(final={"time_s": "79 s", "accuracy": "95%"})) is None


def test_accuracy_percent_slip_gets_a_hint_and_other_values_do_not():
    with pytest.raises(Wrong) as info:
        graded_checks.final_accuracy_is_the_series_threshold(answers(final={"time_s": 26, "accuracy": "0.94%"}), reveal=True)
    assert "less than one percent" in info.value.message
    with pytest.raises(Wrong) as info:
        graded_checks.final_accuracy_is_the_series_threshold(answers(final={"time_s": 26, "accuracy": "93%"}), reveal=True)
    assert "less than one percent" not in info.value.message
    with pytest.raises(FormatError):
        graded_checks.baseline_accuracy_is_the_series_threshold(answers(baseline={"time_s": 341, "accuracy": "150%"}), reveal=True)


@pytest.mark.parametrize("n, ok", [(1, False), (49, False), (50, True), (100, True), (200, True), (201, False)])
def test_word_count_bounds(n, ok):
    a = answers(learned=" ".join(["token"] * n), most_interesting=" ".join(["token"] * n))
    for claim in (checks.learned_is_about_100_words, checks.most_interesting_is_about_100_words):
        if ok:
            assert claim(a) is None
        else:
            # Wrong in a manual part leaves it pending: the length is only told to the student.
            with pytest.raises(Wrong, match=f"it has {n} words?,"):
                claim(a)


def test_a_response_without_words_is_a_format_error():
    a = answers(learned="", most_interesting="...")
    for claim in (checks.learned_is_about_100_words, checks.most_interesting_is_about_100_words):
        with pytest.raises(FormatError, match="got no words"):
            claim(a)


def test_words_are_counted_like_a_reader_would():
    text = "Batch-norm isn't magic; it's 1 trick — of many. " * 5  # 8 words per sentence
    assert count_words(text) == 40
    with pytest.raises(FormatError):
        checks.learned_is_about_100_words(answers(learned=["a list", "of strings"]))


# --- train_fast -------------------------------------------------------------------------------

def centroid(train_x, train_y, test_x, budget_s):
    """Nearest class mean: reaches the synthetic target."""
    x = train_x.reshape(len(train_x), -1).astype(np.float32)
    means = np.stack([x[train_y == k].mean(0) for k in range(10)])
    t = test_x.reshape(len(test_x), -1).astype(np.float32)
    return ((t ** 2).sum(1)[:, None] - 2 * t @ means.T + (means ** 2).sum(1)[None, :]).argmin(1)


def _unused_note(message):
    """The pass_note of a claim that must not pass."""
    raise AssertionError(f"a failing claim attached a pass note: {message}")


@pytest.fixture
def fast_reference(monkeypatch):
    """A stand-in for the reference timing, so these tests do not train (the reference has its own tests)."""
    monkeypatch.setattr(speedrun, "reference_seconds", lambda setting: (2.0, 0.99))


def ignore(key, value):
    """pytest's record_property, for claims called directly: what they record is not looked at."""


def test_train_fast_reaching_the_target_passes_and_reports_the_ratio(fast_reference):
    a = answers(train_fast=centroid)
    recorded, notes = [], []
    assert checks.train_fast_reaches_the_target_within_its_budget(
        a, seed=3, pass_note=notes.append, record_property=lambda k, v: recorded.append((k, v))) is None
    report, = notes
    # The leaderboard's two columns: the time (smaller is better) and the accuracy the report states.
    (k1, time_), (k2, acc) = recorded
    assert (k1, k2) == ("metric", "metric") and (time_.order, acc.order) == ("asc", "desc")
    assert f"accuracy {acc.value:.1f} %" in report and 0 <= time_.value < facts.SPEED_RUN_CPU.budget_s
    assert "target 90 %" in report and "x the reference" in report and "the reference ResNet-9 took 2.0 s" in report
    (name, args, timeout), = a.calls
    assert args[0].shape == (400, 32, 32, 3) and args[0].dtype == np.uint8 and args[2].shape == (200, 32, 32, 3)
    assert args[3] == facts.SPEED_RUN_CPU.budget_s
    assert timeout == facts.SPEED_RUN_CPU.budget_s + facts.SPEED_RUN_CPU.grace_s


def test_train_fast_half_right_earns_half(fast_reference):
    def half(train_x, train_y, test_x, budget_s):
        """Right on 70 % of the test images."""
        pred = centroid(train_x, train_y, test_x, budget_s)
        pred[: int(0.3 * len(pred))] = (pred[: int(0.3 * len(pred))] + 1) % 10  # spoil 30 %
        return pred

    with pytest.raises(Partial) as info:
        checks.train_fast_reaches_the_target_within_its_budget(answers(train_fast=half), seed=3, pass_note=_unused_note, record_property=ignore)
    assert info.value.fraction == 0.5 and "below the target" in info.value.message


def test_train_fast_guessing_scores_nothing(fast_reference):
    with pytest.raises(Wrong, match="far below the target"):
        checks.train_fast_reaches_the_target_within_its_budget(
            answers(train_fast=lambda tx, ty, x, b: np.zeros(len(x), dtype=np.int64)), seed=3, pass_note=_unused_note, record_property=ignore)


@pytest.mark.parametrize("result, phrase", [
    (np.zeros((200, 10)), "logits.argmax(1)"),
    (np.zeros(199, dtype=np.int64), "shape (200,)"),
    (np.full(200, 0.5), "non-integer labels"),
    ("cat", "got a string"),
])
def test_train_fast_results_of_the_wrong_form(fast_reference, result, phrase):
    with pytest.raises(FormatError) as info:
        checks.train_fast_reaches_the_target_within_its_budget(answers(train_fast=lambda *a: result), seed=3, pass_note=_unused_note, record_property=ignore)
    assert phrase in info.value.message


def test_train_fast_out_of_budget_says_so(fast_reference):
    class Timeout(FakeAnswers):
        """The engine's answer when the worker runs past the call's timeout."""

        def call(self, name, *args, timeout=10.0, **kwargs):
            """Always times out."""
            crash = StudentCrash(f"train_fast(...): the submission's process did not finish within {timeout:g} s (wall time)")
            crash.timed_out = True
            raise crash

    with pytest.raises(StudentCrash) as info:
        checks.train_fast_reaches_the_target_within_its_budget(Timeout({"train_fast": centroid}), seed=3, pass_note=_unused_note, record_property=ignore)
    assert "ran out of time: its budget is 8 s (+2 s allowed for moving the data)" in info.value.message
    assert "did not finish within 10 s" in info.value.message


def test_train_fast_raising_is_reported_as_is(fast_reference):
    def broken(*args):
        """Fails at once."""
        raise ValueError("no GPU here")

    with pytest.raises(StudentCrash) as info:
        checks.train_fast_reaches_the_target_within_its_budget(answers(train_fast=broken), seed=3, pass_note=_unused_note, record_property=ignore)
    assert info.value.message == "train_fast raised ValueError: no GPU here"


def test_train_fast_is_optional():
    with pytest.raises(NotAnswered):
        checks.train_fast_reaches_the_target_within_its_budget(answers(), seed=3, pass_note=_unused_note, record_property=ignore)


def test_the_synthetic_data_depends_on_the_seed():
    a = speedrun.load_data(facts.SPEED_RUN_CPU, 1)
    b = speedrun.load_data(facts.SPEED_RUN_CPU, 2)
    assert not np.array_equal(a.test_x, b.test_x)
    assert np.array_equal(a.test_x, speedrun.load_data(facts.SPEED_RUN_CPU, 1).test_x)


def test_reference_timing_is_measured_once_per_process():
    speedrun.reference_seconds.cache_clear()
    setting = replace(facts.SPEED_RUN_CPU, n_train=128, n_test=64,
                      reference=(("epochs", 1), ("batch_size", 64), ("width", 8), ("device", "cpu")))
    first = speedrun.reference_seconds(setting)
    assert speedrun.reference_seconds(setting) is first
    assert first[0] > 0 and 0 <= first[1] <= 1
    assert speedrun.reference_seconds.cache_info().hits == 1
