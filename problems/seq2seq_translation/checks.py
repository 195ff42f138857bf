"""Claims about the seq2seq translation answers."""
from __future__ import annotations

import re

from grader.claims import claim
from grader.collect import format_call
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


def _compare(name: str, got: list, expected: list, other: list, other_hint: str) -> None:
    if got == expected:
        return
    if got == other:
        raise Wrong(f"{name}: {other_hint}", expected=_show(expected), got=_show(got))
    if got[0] != ref.SOS:
        raise Wrong(f"{name}: the first input w1 is the start token <sos>; the decoder's inputs are its target "
                    "tokens shifted right by one", expected=_show(expected), got=_show(got))
    i = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
    raise Wrong(f"{name}: w{i + 1} is {got[i]!r}, expected {expected[i]!r} (words compare exactly)",
                expected=_show(expected), got=_show(got))


@claim("training_decoder_inputs", points=3)
def training_inputs_are_the_reference_shifted_right(answers):
    got = _token_answer(answers, "training_decoder_inputs")
    _compare("training_decoder_inputs", got, ref.TRAINING_DECODER_INPUTS, ref.EVALUATION_DECODER_INPUTS,
             "these are the model's own sampled tokens. In training the decoder is fed the reference "
             "translation whatever it predicted (teacher forcing), so w3 is 'see'.")


@claim("evaluation_decoder_inputs", points=3, description="evaluation inputs are the model's own outputs")
def evaluation_inputs_are_the_models_own_outputs(answers):
    got = _token_answer(answers, "evaluation_decoder_inputs")
    _compare("evaluation_decoder_inputs", got, ref.EVALUATION_DECODER_INPUTS, ref.TRAINING_DECODER_INPUTS,
             "these are the reference tokens, which do not exist when translating new text. At evaluation the "
             "decoder is fed its own previous output, so w3 is 'saw'.")


def _check_call(answers, target: list, generated: list, training: bool, among_many: bool = False) -> None:
    """Call decoder_inputs once and compare with the reference, naming the call on failure."""
    call = format_call("decoder_inputs", (target, generated), {"training": training})
    got = answers.call("decoder_inputs", target, generated, training=training, timeout=10.0)
    if type(got) is not list or any(type(t) is not str for t in got):
        raise FormatError(f"{call} should return a list of strings; it returned {describe_got(got)}")
    expected = ref.decoder_inputs(target, generated, training)
    if [ref.normalize_token(t) for t in got] != expected:
        mode = "training: teacher forcing feeds the target" if training else "evaluation: the decoder is fed what it generated"
        # When many inputs were tried, name the first (smallest) one that fails.
        raise Wrong(f"{call} returned {_show(got)}, expected {_show(expected)} ({mode})",
                    counterexample=call if among_many else None)


@claim("decoder_inputs", points=1)
def decoder_inputs_feeds_the_target_in_training(answers):
    _check_call(answers, list(ref.REFERENCE), list(ref.SAMPLED), True)


@claim("decoder_inputs", points=1)
def decoder_inputs_feeds_its_own_output_at_evaluation(answers):
    _check_call(answers, list(ref.REFERENCE), list(ref.SAMPLED), False)


VOCAB = ["the", "cat", "sat", "on", "a", "mat", "dog", "I", "see", "saw", "runs", "red"]


@claim("decoder_inputs", points=2, visibility="hidden")
def decoder_inputs_holds_for_any_sentences(answers, rng):
    # Smallest cases first, so the first failure reported is the smallest counterexample.
    cases = [([], [], True), ([], [], False), (["x"], ["y"], True), (["x"], ["y"], False),
             (["x", "y"], ["z"], True), (["x"], ["z", "y"], False)]
    for _ in range(6):
        target = [str(w) for w in rng.choice(VOCAB, size=int(rng.integers(1, 8)))]
        generated = [str(w) for w in rng.choice(VOCAB, size=int(rng.integers(1, 8)))]
        cases.append((target, generated, bool(rng.integers(2))))
    for target, generated, training in cases:
        _check_call(answers, target, generated, training, among_many=True)


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
