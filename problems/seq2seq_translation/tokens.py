"""How tokens compare: the special tokens and their normalization (no answer here; checks and reference share it)."""
from __future__ import annotations

import re

SOS, EOS = "<sos>", "<eos>"

_SPECIAL = re.compile(r"^<\s*([A-Za-z]+)\s*>$")


def normalize_token(token: str) -> str:
    """Special tokens compare case-insensitively and ignore spaces in the brackets; words are exact."""
    m = _SPECIAL.match(token.strip())
    return f"<{m.group(1).lower()}>" if m else token.strip()
