"""What the public checks of seq2seq_translation compare with, sealed (grader.seal). Staff-only.

In a student package only digests of the accepted token lists (and of each of their
tokens) remain, and the expected outputs of decoder_inputs for the public inputs.
"""
from __future__ import annotations

from grader.seal import Digest, Plain
from problems.seq2seq_translation.checks import PUBLIC_GENERATED, PUBLIC_TARGET
from reference import seq2seq_translation as ref


def seals() -> dict:
    """The sealed data the public checks read."""
    out = {}
    for name, tokens in (("training_decoder_inputs", ref.TRAINING_DECODER_INPUTS),
                         ("evaluation_decoder_inputs", ref.EVALUATION_DECODER_INPUTS)):
        out[name] = Digest((list(tokens),))
        for i, token in enumerate(tokens):  # which step is wrong is said before grades are out, not what it should be
            out[f"{name}[{i}]"] = Digest((token,), reveal=False)
    for training in (True, False):
        out[f"decoder_inputs(public, training={training})"] = Plain(
            ref.decoder_inputs(list(PUBLIC_TARGET), list(PUBLIC_GENERATED), training))
    return out
