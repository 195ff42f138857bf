"""Claims for resnet_blog: the two facts (time and accuracy), two free responses, and the speed run."""
from __future__ import annotations

from grader.claims import claim
from grader.errors import FormatError, Wrong
from grader.types import NUMBER, STR, AnyOf, DictOf, count_words, short_repr
from problems.resnet_blog import facts
from problems.resnet_blog.speedrun import grade_train_fast
from problems.resnet_blog.units import UnitError, parse_accuracy, parse_time, show_percent, show_seconds

NUMBER_OR_TEXT = AnyOf((NUMBER, STR))
FACT = DictOf((("time_s", NUMBER_OR_TEXT), ("accuracy", NUMBER_OR_TEXT)))


def _field(answers, part: str, key: str):
    """The raw `key` entry of the dict answer `part`, format-checked on its own.

    Only the entry a claim grades must be well formed, so that a dict missing its
    accuracy (as a transcript may give) still has its time graded.
    """
    value = answers.value(part)
    if type(value) is not dict:
        FACT.check(value, part)  # raises, describing the whole expected dict
    if key not in value:
        raise FormatError(f"{part}: expected {FACT.describe()}; missing {key!r}")
    NUMBER_OR_TEXT.check(value[key], f"{part}[{key!r}]")
    return value[key]


def _shown(raw, parsed: str) -> str:
    """The answer as written and how it was read: "'0.43 min' (read as 25.8 s)"; just "'34 s'" when those agree."""
    if type(raw) is str and raw.strip() in (parsed, parsed.replace(" ", "")):
        return short_repr(raw, 80)
    return f"{short_repr(raw, 80)} (read as {parsed})"


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


def check_word_count(answers, part: str) -> None:
    """Tell the student when the free response is outside MIN_WORDS to MAX_WORDS; any text stays an answer.

    A response of the wrong length is still pending for a TA (the part is manual): the message only
    says that it is short or long. Text without a single word is a format error: nothing to score.
    """
    text = answers.value(part, STR)
    n = count_words(text)
    if n == 0:
        raise FormatError(f"{part}: expected about 100 words of text, got no words")
    if not facts.MIN_WORDS <= n <= facts.MAX_WORDS:
        raise Wrong(
            f"{part} is {'short' if n < facts.MIN_WORDS else 'long'}: it has {n} word{'s' if n != 1 else ''}, "
            f"and about 100 are asked for ({facts.MIN_WORDS} to {facts.MAX_WORDS}). It is still an answer: "
            f"a TA will read and score it.",
        )


def check_readable(answers, part: str) -> None:
    """Pass when both entries of the part parse as a time and an accuracy; else say what is wrong with each."""
    problems = []
    for key, parse in (("time_s", parse_time), ("accuracy", parse_accuracy)):
        try:
            parse(_field(answers, part, key))
        except UnitError as e:
            problems.append(f"{part}[{key!r}]: {e}")
        except FormatError as e:
            if type(answers.value(part)) is not dict:
                raise  # one message about the whole dict is enough
            problems.append(e.message)
    if problems:
        raise FormatError("\n".join(problems))


# The facts have one right answer each, so the claims that compare them do not run in `grader check`:
# a public check would hand the answer to anyone running it. The public claims only say whether the
# answer can be read; the after_due ones carry the feedback ("34 s is the final time before TTA"),
# shown in the graded report (Gradescope: after the due date).

@claim("baseline", points=0, description="is a time and an accuracy the grader can read")
def baseline_is_a_readable_time_and_accuracy(answers):
    """The baseline parses (format feedback before the deadline)."""
    check_readable(answers, "baseline")


@claim("baseline", points=2, visibility="after_due", description="time is where the series started")
def baseline_time_is_where_the_series_started(answers, reveal):
    """The baseline time is one of the series' starting figures."""
    check_time(answers, "baseline", facts.ACCEPTED_BASELINE_TIMES, "a starting time of the series", reveal)


@claim("baseline", points=1, visibility="after_due", description="accuracy is the threshold the series trains to")
def baseline_accuracy_is_the_series_threshold(answers, reveal):
    """The baseline accuracy is the series' accuracy threshold."""
    check_accuracy(answers, "baseline", reveal)


@claim("final", points=0, description="is a time and an accuracy the grader can read")
def final_is_a_readable_time_and_accuracy(answers):
    """The final answer parses (format feedback before the deadline)."""
    check_readable(answers, "final")


@claim("final", points=2, visibility="after_due", description="time is where the series ended")
def final_time_is_where_the_series_ended(answers, reveal):
    """The final time is the series' last figure."""
    check_time(answers, "final", facts.ACCEPTED_FINAL_TIMES, "the final time of the series", reveal)


@claim("final", points=1, visibility="after_due", description="accuracy is the threshold the series trains to")
def final_accuracy_is_the_series_threshold(answers, reveal):
    """The final accuracy is the series' accuracy threshold."""
    check_accuracy(answers, "final", reveal)


@claim("learned", points=4, description="is about 100 words (50 to 200); scored by a TA")
def learned_is_about_100_words(answers):
    """The 'what I learned' response has an acceptable length."""
    check_word_count(answers, "learned")


@claim("most_interesting", points=4, description="is about 100 words (50 to 200); scored by a TA")
def most_interesting_is_about_100_words(answers):
    """The 'most interesting approach' response has an acceptable length."""
    check_word_count(answers, "most_interesting")


@claim("train_fast", points=2, description="reaches the target accuracy within its time budget")
def train_fast_reaches_the_target_within_its_budget(answers, seed, pass_note, record_property):
    """train_fast's predictions reach the target accuracy within the budget (time reported beside the reference)."""
    pass_note(grade_train_fast(answers, seed, record=record_property))
