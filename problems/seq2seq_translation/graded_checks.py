"""The hidden claim about decoder_inputs: random sentences, checked against the reference. Staff-only.

Never in a student package (`grader assign` leaves this file out whole).
"""
from __future__ import annotations

from grader.claims import claim
from grader.errors import Wrong
from problems.seq2seq_translation.checks import call_text, mismatch
from reference import seq2seq_translation as ref

VOCAB = ["the", "cat", "sat", "on", "a", "mat", "dog", "I", "see", "saw", "runs", "red"]
SHRINK_CALLS = 24  # calls spent making a failing case smaller, at most


def wrong_for(answers, target: list, generated: list, training: bool) -> str | None:
    """None when decoder_inputs is right on this call (by the reference); else what it returned and what was expected."""
    return mismatch(answers, target, generated, training, ref.decoder_inputs(target, generated, training))


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
                wrong = wrong_for(answers, *trial)
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
        wrong = wrong_for(answers, *case)
        if wrong:
            failed.append((len(case[0]) + len(case[1]), case, wrong))
    if not failed:
        return
    _, case, message = min(failed, key=lambda f: f[0])
    case, message = shrink(answers, case, message)
    raise Wrong(f"wrong on {len(failed)} of the {len(cases)} inputs tried; the smallest:\n{message}",
                counterexample=call_text(*case))
