"""The resnet_blog units parser: times and accuracies with and without units."""
from __future__ import annotations

import pytest

from problems.resnet_blog.units import UnitError, parse_accuracy, parse_time, show_percent, show_seconds


@pytest.mark.parametrize("value, seconds", [
    (26, 26.0), (26.0, 26.0), ("26", 26.0), ("26 s", 26.0), ("26s", 26.0), ("26 sec", 26.0), ("26 secs.", 26.0),
    ("26 seconds", 26.0), (" 26 Seconds ", 26.0), ("0.43 min", 25.8), ("0.43 minutes", 25.8), ("4.95 min", 297.0),
    ("5:41", 341.0), ("5 min 41 s", 341.0), ("5m41s", 341.0), ("5 minutes and 41 seconds", 341.0),
    ("~26 s", 26.0), ("about 26 seconds", 26.0), ("approx. 26 s", 26.0), ("≈ 26s", 26.0), ("26000 ms", 26.0),
    ("0.1 h", 360.0), (".5 min", 30.0), ("26.", 26.0), ("**341 seconds**", 341.0), ("`26 s`", 26.0),
])
def test_times_in_every_accepted_form(value, seconds):
    assert parse_time(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value, fraction, was_percent", [
    (0.94, 0.94, False), (94, 0.94, False), (94.0, 0.94, False), ("0.94", 0.94, False), ("94", 0.94, False),
    ("94%", 0.94, True), ("94 %", 0.94, True), ("94 percent", 0.94, True), ("94.1%", 0.941, True),
    ("~94%", 0.94, True), ("94% test accuracy", 0.94, True), ("0.94%", 0.0094, True), (1, 1.0, False), ("100%", 1.0, True),
])
def test_accuracies_as_fractions_or_percentages(value, fraction, was_percent):
    got, percent = parse_accuracy(value)
    assert got == pytest.approx(fraction)
    assert percent is was_percent


@pytest.mark.parametrize("value, phrase", [
    ("26 parsecs", "unknown time unit 'parsecs'"), ("fast", "cannot read 'fast' as a time"),
    ("5 41", "give each number a unit"), ("", "cannot read '' as a time"), ("26 s on a V100", "cannot read"),
    (True, "must be a number or a string"), (-3, "finite number >= 0"), (float("nan"), "finite number >= 0"),
    (None, "must be a number or a string"), ("1,5 min", "cannot read"),
])
def test_times_that_cannot_be_read(value, phrase):
    with pytest.raises(UnitError, match=None) as info:
        parse_time(value)
    assert phrase in str(info.value)


@pytest.mark.parametrize("value, phrase", [
    ("ninety-four", "cannot read"), (101, "at most 100 %"), ("140%", "at most 100 %"), (False, "must be a number"),
    (float("inf"), "finite number"), ("94 % on CIFAR-10", "cannot read"),
])
def test_accuracies_that_cannot_be_read(value, phrase):
    with pytest.raises(UnitError) as info:
        parse_accuracy(value)
    assert phrase in str(info.value)


def test_shown_values_carry_no_float_noise():
    assert show_seconds(0.43 * 60) == "25.8 s"
    assert show_seconds(341) == "341 s"
    assert show_percent(0.941) == "94.1 %"
    assert show_percent(0.0094) == "0.94 %"
