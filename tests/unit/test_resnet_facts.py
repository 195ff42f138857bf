"""The resnet_blog accepted values: the contract's figures, tolerances, and unambiguous hints."""
from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from problems.resnet_blog import facts
from problems.resnet_blog.graded_checks import known_figure
from problems.resnet_blog.speedrun import choose_setting
from reference.resnet.train import TrainConfig


def test_the_contract_figures_are_the_accepted_ones():
    assert sorted(f.seconds for f in facts.ACCEPTED_BASELINE_TIMES.accepted) == [297, 341, 356]
    assert [f.seconds for f in facts.ACCEPTED_FINAL_TIMES.accepted] == [26]
    assert facts.ACCEPTED_BASELINE_TIMES.rel_tol == facts.ACCEPTED_FINAL_TIMES.rel_tol == 0.02
    assert facts.ACCURACY.fraction == 0.94
    assert (facts.MIN_WORDS, facts.MAX_WORDS) == (50, 200)


@pytest.mark.parametrize("fact", [facts.ACCEPTED_BASELINE_TIMES, facts.ACCEPTED_FINAL_TIMES])
def test_accepted_within_two_percent_and_not_beyond(fact):
    for f in fact.accepted:
        assert fact.match(f.seconds) is f
        assert fact.match(f.seconds * 1.019) is f and fact.match(f.seconds * 0.981) is f
        assert fact.match(f.seconds * 1.025) is not f and fact.match(f.seconds * 0.975) is not f


def test_every_accepted_figure_is_a_known_figure():
    known = set(facts.KNOWN_FIGURES)
    assert set(facts.ACCEPTED_BASELINE_TIMES.accepted + facts.ACCEPTED_FINAL_TIMES.accepted) <= known


def test_each_known_figure_hints_itself_and_none_are_duplicates():
    for f in facts.KNOWN_FIGURES:
        assert known_figure(f.seconds) is f
    for a, b in itertools.combinations(facts.KNOWN_FIGURES, 2):
        assert abs(a.seconds - b.seconds) > facts.TIME_REL_TOL * max(a.seconds, b.seconds), (a, b)


def test_a_value_between_two_figures_hints_the_nearer():
    assert known_figure(302.5).seconds == 308  # within 2 % of both 297 and 308
    assert known_figure(302.0).seconds == 297
    assert known_figure(1000) is None


def test_the_issue_examples_are_known_figures():
    by_seconds = {f.seconds: f for f in facts.KNOWN_FIGURES}
    assert "test-time augmentation" in by_seconds[34].meaning
    assert "end of part 4" in by_seconds[79].meaning


@pytest.mark.parametrize("fraction, ok", [(0.94, True), (0.941, True), (0.9425, True), (0.9375, True),
                                          (0.935, False), (0.95, False), (0.0094, False), (0.96, False)])
def test_accuracy_tolerance(fraction, ok):
    assert facts.ACCURACY.accepts(fraction) is ok


@pytest.mark.parametrize("setting", [facts.SPEED_RUN_CPU, facts.SPEED_RUN_GPU])
def test_speed_run_settings_name_real_reference_fields(setting):
    config = replace(TrainConfig(), **dict(setting.reference))
    assert isinstance(config, TrainConfig)
    assert 0.1 < setting.partial_from < setting.target <= 1
    assert setting.budget_s > 0 and setting.grace_s > 0


def test_the_cpu_speed_run_is_chosen_without_a_gpu():
    assert choose_setting(gpu=False) is facts.SPEED_RUN_CPU
    assert choose_setting(gpu=True) is facts.SPEED_RUN_CPU  # CI has no GPU (and no CIFAR-10)
