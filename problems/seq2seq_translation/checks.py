"""Claims about the seq2seq translation answers."""
from __future__ import annotations

import re

from grader.claims import claim
from grader.errors import FormatError, Wrong
from grader.types import STR, ListOf, count_words, describe_got, short_repr
from reference import seq2seq_translation as ref

TOKENS = ListOf(STR)


def _show(tokens: list) -> str:
    return short_repr(list(tokens), 120)


def _token_answer(answers, name: str) -> list:
    """The answer as normalized tokens, after the cheap checks (type, length, <eos>)."""
    got = answers.value(name, TOKENS)
    norm = [ref.normalize_token(t) for t in got]
    if len(norm) == 6 and norm[-1] == ref.EOS:
        raise Wrong(f"{name}: <eos> is never an input to the decoder; it is the last token the decoder outputs. "
                    "The five inputs end with the last word.", expected=None, got=_show(got))
    if len(norm) != 5:
        raise FormatError(f"{name}: expected a list of 5 strings (w1 to w5), got a list of {len(norm)}")
    return norm


def _compare(name: str, got: list, expected: list, other: list, other_hint: str, reveal: bool) -> None:
    """Pass when `got` is `expected`; else say what is wrong and why, naming the accepted list only if `reveal`."""
    if got == expected:
        return
    shown = _show(expected) if reveal else None  # before grades are out, a message never names the answer
    if got == other:
        raise Wrong(f"{name}: {other_hint}", expected=shown, got=_show(got))
    if got[0] != ref.SOS:
        raise Wrong(f"{name}: the first input w1 is the start token <sos>; the decoder's inputs are its target "
                    "tokens shifted right by one", expected=shown, got=_show(got))
    i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
    if reveal:
        raise Wrong(f"{name}: w{i + 1} is {got[i]!r}, expected {expected[i]!r} (words compare exactly)",
                    expected=shown, got=_show(got))
    raise Wrong(f"{name}: w{i + 1} ({got[i]!r}) is not the right input for that step (words compare exactly, "
                "case included)", got=_show(got))


TEACHER_FORCING = ("In training the decoder is fed the reference translation, whatever it predicted "
                   "(teacher forcing)")
OWN_OUTPUT = "At evaluation there is no reference translation: the decoder is fed its own previous output"


@claim("training_decoder_inputs", points=3)
def training_inputs_are_the_reference_shifted_right(answers, reveal):
    got = _token_answer(answers, "training_decoder_inputs")
    hint = (f"these are the model's own sampled tokens. {TEACHER_FORCING}, so w3 is 'see'." if reveal else
            f"these are not what the decoder is fed in training. {TEACHER_FORCING}.")
    _compare("training_decoder_inputs", got, ref.TRAINING_DECODER_INPUTS, ref.EVALUATION_DECODER_INPUTS, hint, reveal)


@claim("evaluation_decoder_inputs", points=3, description="evaluation inputs are the model's own outputs")
def evaluation_inputs_are_the_models_own_outputs(answers, reveal):
    got = _token_answer(answers, "evaluation_decoder_inputs")
    hint = (f"these are the reference tokens, which do not exist when translating new text. {OWN_OUTPUT}, so w3 is "
            "'saw'." if reveal else f"these are not what the decoder is fed at evaluation. {OWN_OUTPUT}.")
    _compare("evaluation_decoder_inputs", got, ref.EVALUATION_DECODER_INPUTS, ref.TRAINING_DECODER_INPUTS, hint, reveal)


def call_text(target: list, generated: list, training: bool) -> str:
    """The call in full, as Python one can paste: decoder_inputs(['x'], ['y'], training=True)."""
    return f"decoder_inputs({target!r}, {generated!r}, training={training!r})"


def mismatch(answers, target: list, generated: list, training: bool) -> str | None:
    """None when decoder_inputs gives the right inputs for this call; else what it returned and what was expected."""
    call = call_text(target, generated, training)
    got = answers.call("decoder_inputs", target, generated, training=training, timeout=10.0)
    if type(got) is not list or any(type(t) is not str for t in got):
        raise FormatError(f"{call} should return a list of strings; it returned {describe_got(got)}")
    expected = ref.decoder_inputs(target, generated, training)
    if [ref.normalize_token(t) for t in got] == expected:
        return None
    mode = "training: teacher forcing feeds the target" if training else "evaluation: the decoder is fed what it generated"
    return f"{call} returned {got!r}, expected {expected!r} ({mode})"


# Public inputs are not the homework's sentence: their expected output must not be the answer to the token parts.
PUBLIC_TARGET = ["the", "cat", "sat", "down"]
PUBLIC_GENERATED = ["a", "cat", "sat"]


@claim("decoder_inputs", points=1)
def decoder_inputs_feeds_the_target_in_training(answers):
    wrong = mismatch(answers, list(PUBLIC_TARGET), list(PUBLIC_GENERATED), True)
    if wrong:
        raise Wrong(wrong)


@claim("decoder_inputs", points=1)
def decoder_inputs_feeds_its_own_output_at_evaluation(answers):
    wrong = mismatch(answers, list(PUBLIC_TARGET), list(PUBLIC_GENERATED), False)
    if wrong:
        raise Wrong(wrong)


VOCAB = ["the", "cat", "sat", "on", "a", "mat", "dog", "I", "see", "saw", "runs", "red"]
SHRINK_CALLS = 24  # calls spent making a failing case smaller, at most


def shrink(answers, case: tuple, message: str) -> tuple[tuple, str]:
    """A failing (target, generated, training) made as small as it still fails, dropping one token at a time."""
    budget = SHRINK_CALLS
    smaller = True
    while smaller and budget > 0:
        smaller = False
        target, generated, training = case
        for side in (0, 1):
            tokens = case[side]
            for i in range(len(tokens)):
                if budget <= 0:
                    break
                fewer = tokens[:i] + tokens[i + 1:]
                trial = (fewer, generated, training) if side == 0 else (target, fewer, training)
                budget -= 1
                wrong = mismatch(answers, *trial)
                if wrong:
                    case, message, smaller = trial, wrong, True
                    break
            if smaller:
                break
    return case, message


@claim("decoder_inputs", points=2, visibility="hidden")
def decoder_inputs_holds_for_any_sentences(answers, rng):
    # Small cases first, then random sentences; the failure reported is the smallest failing call, shrunk.
    cases = [([], [], True), ([], [], False), (["x"], ["y"], True), (["x"], ["y"], False),
             (["x", "y"], ["z"], True), (["x"], ["z", "y"], False)]
    for _ in range(6):
        target = [str(w) for w in rng.choice(VOCAB, size=int(rng.integers(1, 8)))]
        generated = [str(w) for w in rng.choice(VOCAB, size=int(rng.integers(1, 8)))]
        cases.append((target, generated, bool(rng.integers(2))))
    failed = []
    for case in cases:
        wrong = mismatch(answers, *case)
        if wrong:
            failed.append((len(case[0]) + len(case[1]), case, wrong))
    if not failed:
        return
    _, case, message = min(failed, key=lambda f: f[0])
    case, message = shrink(answers, case, message)
    raise Wrong(f"wrong on {len(failed)} of the {len(cases)} inputs tried; the smallest:\n{message}",
                counterexample=call_text(*case))


KEY_IDEAS = re.compile(r"length|long|align|order|future|later|rest of|whole|entire|all of|remaining|context|"
                       r"bottleneck|see the|seen|different number", re.IGNORECASE)


@claim("vertical_stacking_problem", points=4)
def vertical_stacking_answer_states_a_problem(answers):
    text = answers.value("vertical_stacking_problem", STR)
    words = count_words(text)
    if words == 0:
        raise FormatError("vertical_stacking_problem: expected a sentence or two stating a problem, got no words")
    # Manual part: whatever is said here, the answer stays pending; the notes are for the student and the TA.
    notes = []
    if words < 5:
        notes.append(f"The answer is short ({words} word{'s' if words != 1 else ''}; a sentence or two is asked "
                     f"for), but it is still an answer.")
    if not KEY_IDEAS.search(text):
        notes.append("Hint: the answer does not mention sentence lengths, alignment, word order or the decoder "
                     "seeing only part of the source.")
    if notes:
        raise Wrong(" ".join(notes) + " The TA will read it.")
