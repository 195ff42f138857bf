"""Public claims for resnet_blog: the facts' form, two free responses, and the speed run.

Whether the facts are right is graded after the due date (graded_checks.py): a public
check would hand the answer to anyone running it.
"""
from __future__ import annotations

from grader.claims import claim
from grader.errors import FormatError, Wrong
from grader.types import NUMBER, STR, AnyOf, DictOf, count_words, short_repr
from problems.resnet_blog.settings import MAX_WORDS, MIN_WORDS
from problems.resnet_blog.speedrun import grade_train_fast
from problems.resnet_blog.units import UnitError, parse_accuracy, parse_time

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
    """The answer as written and how it was read: "'0.75 min' (read as 45 s)"; just "'45 s'" when those agree."""
    if type(raw) is str and raw.strip() in (parsed, parsed.replace(" ", "")):
        return short_repr(raw, 80)
    return f"{short_repr(raw, 80)} (read as {parsed})"


def check_word_count(answers, part: str) -> None:
    """Tell the student when the free response is outside MIN_WORDS to MAX_WORDS; any text stays an answer.

    A response of the wrong length is still pending for a TA (the part is manual): the message only
    says that it is short or long. Text without a single word is a format error: nothing to score.
    """
    text = answers.value(part, STR)
    n = count_words(text)
    if n == 0:
        raise FormatError(f"{part}: expected about 100 words of text, got no words")
    if not MIN_WORDS <= n <= MAX_WORDS:
        raise Wrong(
            f"{part} is {'short' if n < MIN_WORDS else 'long'}: it has {n} word{'s' if n != 1 else ''}, "
            f"and about 100 are asked for ({MIN_WORDS} to {MAX_WORDS}). It is still an answer: "
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
# answer can be read; the after_due ones, in graded_checks.py, carry the feedback, shown in the graded
# report (Gradescope: after the due date).

@claim("baseline", points=0, description="is a time and an accuracy the grader can read")
def baseline_is_a_readable_time_and_accuracy(answers):
    """The baseline parses (format feedback before the deadline)."""
    check_readable(answers, "baseline")


@claim("final", points=0, description="is a time and an accuracy the grader can read")
def final_is_a_readable_time_and_accuracy(answers):
    """The final answer parses (format feedback before the deadline)."""
    check_readable(answers, "final")


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
