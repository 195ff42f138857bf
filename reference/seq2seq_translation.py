"""Reference answers for the seq2seq translation problem (trusted side only)."""
from __future__ import annotations

import re

SOS, EOS = "<sos>", "<eos>"
REFERENCE = ["I", "see", "a", "dog"]  # the correct translation
SAMPLED = ["I", "saw", "a", "dog"]  # what the model happened to produce

TRAINING_DECODER_INPUTS = [SOS] + REFERENCE
EVALUATION_DECODER_INPUTS = [SOS] + SAMPLED


def decoder_inputs(target: list, generated: list, training: bool) -> list:
    """Teacher forcing in training (the reference tokens), the model's own tokens at evaluation."""
    return [SOS] + list(target if training else generated)


_SPECIAL = re.compile(r"^<\s*([A-Za-z]+)\s*>$")


def normalize_token(token: str) -> str:
    """Special tokens compare case-insensitively and ignore spaces in the brackets; words are exact."""
    m = _SPECIAL.match(token.strip())
    return f"<{m.group(1).lower()}>" if m else token.strip()


def accepted_texts() -> dict[str, tuple[str, ...]]:
    """The accepted token lists as text, for the leak test (grader.secrets); quotes and commas do not matter there."""
    return {"training_decoder_inputs": (" ".join(TRAINING_DECODER_INPUTS),),
            "evaluation_decoder_inputs": (" ".join(EVALUATION_DECODER_INPUTS),)}
