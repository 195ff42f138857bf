"""The facts of resnet_blog, graded after the due date: is the time and the accuracy the series' figure. Staff-only.

Never in a student package: the accepted figures (facts.py) are the answers. The feedback
("34 s is the final time before TTA") is shown in the graded report (Gradescope: after the
due date), and names the accepted figures only when `reveal`.
"""
from __future__ import annotations

from grader.claims import claim
from grader.errors import FormatError, Wrong
from problems.resnet_blog import facts
from problems.resnet_blog.checks import _field, _shown
from problems.resnet_blog.units import UnitError, parse_accuracy, parse_time, show_percent, show_seconds


def known_figure(seconds: float) -> facts.Figure | None:
    """The figure of the series nearest to `seconds` within tolerance, if any (for hints)."""
    return facts.nearest(facts.KNOWN_FIGURES, seconds, facts.TIME_REL_TOL)


def check_time(answers, part: str, fact: facts.TimeFact, role: str, reveal: bool) -> None:
    """Pass when the part's time is within tolerance of an accepted figure; else say which figure it is, if known.

    The accepted figures, and what the student's figure is (it may be another part's answer), are named only
    when `reveal` (a graded report after the due date).
    """
    raw = _field(answers, part, "time_s")
    try:
        seconds = parse_time(raw)
    except UnitError as e:
        raise FormatError(f"{part}['time_s']: {e}") from None
    if fact.match(seconds):
        return
    if not reveal:
        raise Wrong(f"{part}['time_s'] is not {role}.", got=_shown(raw, show_seconds(seconds)))
    accepted = " or ".join(f"{show_seconds(f.seconds)} ({f.meaning})" for f in fact.accepted)
    known = known_figure(seconds)
    hint = f" {show_seconds(known.seconds)} is {known.meaning} ({known.source})." if known else ""
    raise Wrong(f"{part}['time_s'] is not {role}.{hint}", expected=f"{accepted}, within {fact.rel_tol:.0%}",
                got=_shown(raw, show_seconds(seconds)))


def check_accuracy(answers, part: str, reveal: bool) -> None:
    """Pass when the part's accuracy is the series' 94 % (within tolerance); the figure is named only when `reveal`."""
    raw = _field(answers, part, "accuracy")
    try:
        fraction, was_percent = parse_accuracy(raw)
    except UnitError as e:
        raise FormatError(f"{part}['accuracy']: {e}") from None
    acc = facts.ACCURACY
    if acc.accepts(fraction):
        return
    if not reveal:
        raise Wrong(f"{part}['accuracy'] is not the test accuracy the series trains to.",
                    got=_shown(raw, show_percent(fraction)))
    hint = ""
    if was_percent and acc.accepts(100 * fraction):
        # "0.94%" is a fraction written with a percent sign: say so rather than just "wrong".
        hint = f" {raw!r} is less than one percent: write the fraction without '%' (0.94) or the percentage with it (94%)."
    raise Wrong(
        f"{part}['accuracy'] is not the test accuracy the series trains to.{hint}",
        expected=f"{show_percent(acc.fraction)} (± {100 * acc.abs_tol:g} points; {acc.source})",
        got=_shown(raw, show_percent(fraction)),
    )


@claim("baseline", points=2, visibility="after_due", description="time is where the series started")
def baseline_time_is_where_the_series_started(answers, reveal):
    """The baseline time is one of the series' starting figures."""
    check_time(answers, "baseline", facts.ACCEPTED_BASELINE_TIMES, "a starting time of the series", reveal)


@claim("baseline", points=1, visibility="after_due", description="accuracy is the threshold the series trains to")
def baseline_accuracy_is_the_series_threshold(answers, reveal):
    """The baseline accuracy is the series' accuracy threshold."""
    check_accuracy(answers, "baseline", reveal)


@claim("final", points=2, visibility="after_due", description="time is where the series ended")
def final_time_is_where_the_series_ended(answers, reveal):
    """The final time is the series' last figure."""
    check_time(answers, "final", facts.ACCEPTED_FINAL_TIMES, "the final time of the series", reveal)


@claim("final", points=1, visibility="after_due", description="accuracy is the threshold the series trains to")
def final_accuracy_is_the_series_threshold(answers, reveal):
    """The final accuracy is the series' accuracy threshold."""
    check_accuracy(answers, "final", reveal)
