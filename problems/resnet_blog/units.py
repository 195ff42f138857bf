"""Parse times and accuracies written with or without units ("26 s", "0.43 min", "94%", 0.94).

A small hand-written grammar (regular expressions, no eval): a number, optionally
preceded by "about"/"~" and followed by a unit. Times may also be "m:ss" or a
sum such as "5 min 41 s".
"""
from __future__ import annotations

import math
import re

NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
APPROX = re.compile(r"^(?:~|≈|about|approx\.?|approximately|around|roughly|circa|ca\.|almost|nearly)\s*")
TIME_UNITS = {
    **dict.fromkeys(["ms", "msec", "millisecond", "milliseconds"], 0.001),
    **dict.fromkeys(["s", "sec", "secs", "second", "seconds", '"', "″"], 1.0),
    **dict.fromkeys(["m", "min", "mins", "minute", "minutes", "'", "′"], 60.0),
    **dict.fromkeys(["h", "hr", "hrs", "hour", "hours"], 3600.0),
}
PERCENT_UNITS = ("%", "percent", "per cent", "pct")
TIME_PAIR = re.compile(rf"\s*({NUMBER})\s*([a-zA-Z\"'″′]+\.?)?\s*(?:,|and)?")
CLOCK = re.compile(r"(\d+):([0-5]\d(?:\.\d+)?)")
ACCURACY = re.compile(rf"({NUMBER})\s*(%|percent|per cent|pct)?(?:\s+(?:test\s+)?accuracy)?")

# Examples in messages a student reads before grading: never figures the checks accept.
TIME_FORMS = '45, 45.0, "45 s", "45 seconds", "0.75 min", "2 min 5 s" or "2:05"'
ACCURACY_FORMS = '0.87, 87, "87%", "87 %" or "87 percent"'


class UnitError(ValueError):
    """A value that is not a time or an accuracy in an accepted form; the message says why."""


def _clean(text: str) -> str:
    """Lower-case, trimmed, without Markdown emphasis or code marks, a leading 'about'/'~' or a trailing full stop."""
    # Answers pulled out of a chat transcript keep their **bold** and `code` marks.
    text = re.sub(r"[*_`]", "", text).strip().lower().rstrip(".").strip()
    return APPROX.sub("", text).strip()


def _check_number(value, what: str, forms: str) -> float:
    """A finite, non-negative float from an int/float answer."""
    if type(value) is bool or type(value) not in (int, float):
        raise UnitError(f"{what} must be a number or a string such as {forms}")
    x = float(value)
    if not math.isfinite(x) or x < 0:
        raise UnitError(f"{what} must be a finite number >= 0, got {value!r}")
    return x


def parse_time(value) -> float:
    """Seconds from a number (taken as seconds) or a string with an optional time unit."""
    if type(value) is not str:
        return _check_number(value, "a time", TIME_FORMS)
    text = _clean(value)
    clock = CLOCK.fullmatch(text)
    if clock:
        return 60.0 * int(clock.group(1)) + float(clock.group(2))
    total, pos, pairs = 0.0, 0, []
    while pos < len(text):
        m = TIME_PAIR.match(text, pos)
        if not m or m.end() == pos:
            break
        pairs.append((float(m.group(1)), m.group(2)))
        pos = m.end()
    if not pairs or pos != len(text):
        raise UnitError(f"cannot read {value!r} as a time; write it as {TIME_FORMS}")
    for number, unit in pairs:
        if unit is None:
            if len(pairs) > 1:
                # "5 41" has no meaning of its own; a bare number is seconds only when it stands alone.
                raise UnitError(f"cannot read {value!r} as a time: give each number a unit, as in \"2 min 5 s\"")
            total += number
            continue
        unit = unit.rstrip(".")
        if unit not in TIME_UNITS:
            raise UnitError(f"unknown time unit {unit!r} in {value!r}; use s, min or h, as in {TIME_FORMS}")
        total += number * TIME_UNITS[unit]
    return total


def parse_accuracy(value) -> tuple[float, bool]:
    """(fraction, was_percent) from 0.94, 94, "94%" or "94 percent".

    A bare number up to 1 is a fraction and above 1 a percentage; `was_percent`
    says the answer carried a percent sign or word (so "0.94%" means 0.0094).
    """
    if type(value) is not str:
        x = _check_number(value, "an accuracy", ACCURACY_FORMS)
        percent = False
    else:
        text = _clean(value)
        m = ACCURACY.fullmatch(text)
        if not m:
            raise UnitError(f"cannot read {value!r} as an accuracy; write it as {ACCURACY_FORMS}")
        x, percent = float(m.group(1)), m.group(2) is not None
    if percent or x > 1:
        if x > 100:
            raise UnitError(f"an accuracy is at most 100 %, got {value!r}")
        return x / 100.0, percent
    return x, False


def show_seconds(seconds: float) -> str:
    """'26 s', '25.8 s': seconds for messages, without float noise."""
    return f"{seconds:.4g} s" if seconds < 1000 else f"{seconds:.0f} s"


def show_percent(fraction: float) -> str:
    """'94 %', '94.1 %': a fraction as a percentage for messages."""
    return f"{100 * fraction:.4g} %"
