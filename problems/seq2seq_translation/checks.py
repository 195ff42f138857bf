"""Public claims about the seq2seq translation answers; the hidden one is in graded_checks.py.

The accepted token lists are read from sealed data (grader.seal): digests of the
normalized lists and of each of their tokens, so that a student package holds no
answer. Expected outputs of decoder_inputs are sealed for the public inputs only.
"""
from __future__ import annotations

from grader.claims import claim
from grader.errors import FormatError, Wrong
from grader.seal import sealed
from grader.types import STR, ListOf, count_words, describe_got, short_repr
from problems.seq2seq_translation.tokens import EOS, SOS, normalize_token

TOKENS = ListOf(STR)
LENGTH = 5  # w1 to w5


def _show(tokens: list) -> str:
    return short_repr(list(tokens), 120)


def _token_answer(answers, name: str) -> list:
    """The answer as normalized tokens, after the cheap checks (type, length, <eos>)."""
    got = answers.value(name, TOKENS)
    norm = [normalize_token(t) for t in got]
    if len(norm) == LENGTH + 1 and norm[-1] == EOS:
        raise Wrong(f"{name}: <eos> is never an input to the decoder; it is the last token the decoder outputs. "
                    "The five inputs end with the last word.", expected=None, got=_show(got))
    if len(norm) != LENGTH:
        raise FormatError(f"{name}: expected a list of 5 strings (w1 to w5), got a list of {len(norm)}")
    return norm


def _revealed(name: str) -> list | None:
    """The accepted list of `name`, where it may be named (a graded report after the due date), else None."""
    values = sealed(__package__).revealed(name)
    return list(values[0]) if values else None


def _compare(name: str, got: list, other: str, other_hint: str, reveal: bool) -> None:
    """Pass when `got` is the accepted list of `name`; else say what is wrong and why (the list only if `reveal`)."""
    seal = sealed(__package__)
    if seal.matches(name, got):
        return
    expected = _revealed(name) if reveal else None  # before grades are out, a message never names the answer
    shown = _show(expected) if expected else None
    if seal.matches(other, got):
        raise Wrong(f"{name}: {other_hint(expected, _revealed(other) if reveal else None)}", expected=shown,
                    got=_show(got))
    if got[0] != SOS:
        raise Wrong(f"{name}: the first input w1 is the start token <sos>; the decoder's inputs are its target "
                    "tokens shifted right by one", expected=shown, got=_show(got))
    i = next(i for i in range(LENGTH) if not seal.matches(f"{name}[{i}]", got[i]))
    if expected:
        raise Wrong(f"{name}: w{i + 1} is {got[i]!r}, expected {expected[i]!r} (words compare exactly)",
                    expected=shown, got=_show(got))
    raise Wrong(f"{name}: w{i + 1} ({got[i]!r}) is not the right input for that step (words compare exactly, "
                "case included)", got=_show(got))


def _where_they_differ(mine: list | None, other: list | None) -> str:
    """', so w3 is 'see'' where the two accepted lists first differ (graded reports only), else ''."""
    if not mine or not other:
        return ""
    i = next((i for i, (a, b) in enumerate(zip(mine, other)) if a != b), None)
    return "" if i is None else f", so w{i + 1} is {mine[i]!r}"


TEACHER_FORCING = ("In training the decoder is fed the reference translation, whatever it predicted "
                   "(teacher forcing)")
OWN_OUTPUT = "At evaluation there is no reference translation: the decoder is fed its own previous output"


def _training_hint(mine, other) -> str:
    if mine:
        return f"these are the model's own sampled tokens. {TEACHER_FORCING}{_where_they_differ(mine, other)}."
    return f"these are not what the decoder is fed in training. {TEACHER_FORCING}."


def _evaluation_hint(mine, other) -> str:
    if mine:
        return (f"these are the reference tokens, which do not exist when translating new text. "
                f"{OWN_OUTPUT}{_where_they_differ(mine, other)}.")
    return f"these are not what the decoder is fed at evaluation. {OWN_OUTPUT}."


@claim("training_decoder_inputs", points=3)
def training_inputs_are_the_reference_shifted_right(answers, reveal):
    got = _token_answer(answers, "training_decoder_inputs")
    _compare("training_decoder_inputs", got, "evaluation_decoder_inputs", _training_hint, reveal)


@claim("evaluation_decoder_inputs", points=3, description="evaluation inputs are the model's own outputs")
def evaluation_inputs_are_the_models_own_outputs(answers, reveal):
    got = _token_answer(answers, "evaluation_decoder_inputs")
    _compare("evaluation_decoder_inputs", got, "training_decoder_inputs", _evaluation_hint, reveal)


def call_text(target: list, generated: list, training: bool) -> str:
    """The call in full, as Python one can paste: decoder_inputs(['x'], ['y'], training=True)."""
    return f"decoder_inputs({target!r}, {generated!r}, training={training!r})"


def mismatch(answers, target: list, generated: list, training: bool, expected: list) -> str | None:
    """None when decoder_inputs gives `expected` for this call; else what it returned and what was expected."""
    call = call_text(target, generated, training)
    got = answers.call("decoder_inputs", target, generated, training=training, timeout=10.0)
    if type(got) is not list or any(type(t) is not str for t in got):
        raise FormatError(f"{call} should return a list of strings; it returned {describe_got(got)}")
    if [normalize_token(t) for t in got] == expected:
        return None
    mode = "training: teacher forcing feeds the target" if training else "evaluation: the decoder is fed what it generated"
    return f"{call} returned {got!r}, expected {expected!r} ({mode})"


# Public inputs are not the homework's sentence: their expected output must not be the answer to the token parts.
PUBLIC_TARGET = ["the", "cat", "sat", "down"]
PUBLIC_GENERATED = ["a", "cat", "sat"]


def _public_call(answers, training: bool) -> None:
    expected = sealed(__package__).plain(f"decoder_inputs(public, training={training})")
    wrong = mismatch(answers, list(PUBLIC_TARGET), list(PUBLIC_GENERATED), training, expected)
    if wrong:
        raise Wrong(wrong)


@claim("decoder_inputs", points=1)
def decoder_inputs_feeds_the_target_in_training(answers):
    _public_call(answers, True)


@claim("decoder_inputs", points=1)
def decoder_inputs_feeds_its_own_output_at_evaluation(answers):
    _public_call(answers, False)


@claim("vertical_stacking_problem", points=4)
def vertical_stacking_answer_states_a_problem(answers):
    text = answers.value("vertical_stacking_problem", STR)
    words = count_words(text)
    if words == 0:
        raise FormatError("vertical_stacking_problem: expected a sentence or two stating a problem, got no words")
    # Manual part: it stays pending whatever is said here. Only its form is told: a note on what it mentions
    # would hand the rubric's points to the student before the due date.
    if words < 5:
        raise Wrong(f"The answer is short ({words} word{'s' if words != 1 else ''}; a sentence or two is asked "
                    f"for), but it is still an answer. The TA will read it.")
