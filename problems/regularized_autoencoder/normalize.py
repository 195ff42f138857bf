"""Normalization of the short answers' spellings (case, spaces, `torch.nn.` prefixes, "two" in a transcript).

Each function takes a plain value and returns a canonical form, or None when
it cannot be read as an answer to the question (the check then says what it
expected). The checks first require the type the answer contract names (an
int, a string, a list of strings); the transcript reader uses these on text.
"""
from __future__ import annotations

import re

# The five options of the select-all question, in the order of the homework.
OPTIONS = ("weight decay", "dropout", "layer norm", "batch norm", "sgd optimizer")
NEEDED = frozenset({"weight decay", "sgd optimizer"})

# Spellings a student may use for each option, after `squash` (lowercase,
# no spaces, underscores, hyphens or dots, no torch.nn./nn./optim. prefixes).
_OPTION_SPELLINGS = {
    "weight decay": ("weightdecay", "wd", "l2", "l2regularization", "l2regularisation", "l2penalty"),
    "dropout": ("dropout",),
    "layer norm": ("layernorm", "layernormalization", "layernormalisation", "ln"),
    "batch norm": ("batchnorm", "batchnormalization", "batchnormalisation", "batchnorm1d", "bn"),
    "sgd optimizer": ("sgdoptimizer", "sgd", "sgdoptimiser", "stochasticgradientdescent"),
}
_OPTION_BY_SPELLING = {sp: opt for opt, sps in _OPTION_SPELLINGS.items() for sp in sps}

# Each option as it may appear inside a phrase ("I'd use weight decay"), for
# free text where the options are not given one per item.
OPTION_PATTERNS = (
    ("weight decay", re.compile(r"weight[\s_-]*decay|\bL2\s+regulari[sz]ation", re.IGNORECASE)),
    ("dropout", re.compile(r"drop[\s_-]*out", re.IGNORECASE)),
    ("layer norm", re.compile(r"layer[\s_-]*norm", re.IGNORECASE)),
    ("batch norm", re.compile(r"batch[\s_-]*norm", re.IGNORECASE)),
    ("sgd optimizer", re.compile(r"\bSGD\b", re.IGNORECASE)),
)

LOSS_OPTIONS = {"mseloss": "nn.MSELoss", "l1loss": "nn.L1Loss", "crossentropyloss": "nn.CrossEntropyLoss"}
_LOSS_SPELLINGS = {
    "mseloss": "mseloss", "mse": "mseloss", "meansquarederror": "mseloss", "meansquarederrorloss": "mseloss",
    "l2loss": "mseloss",
    "l1loss": "l1loss", "l1": "l1loss", "meanabsoluteerror": "l1loss", "mae": "l1loss",
    "crossentropyloss": "crossentropyloss", "crossentropy": "crossentropyloss",
}

_NUMBER_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4}
_PREFIX = re.compile(r"^(torch\.)?(nn\.|optim\.)")


def squash(text: str) -> str:
    """Lowercase, drop a `torch.nn.`/`nn.`/`torch.optim.` prefix, trailing `()`, spaces, `_`, `-` and dots."""
    t = text.strip().lower().strip("`'\"")
    t = re.sub(r"\s+", "", t)
    t = _PREFIX.sub("", t)
    t = re.sub(r"\(.*\)$", "", t)  # nn.MSELoss() or nn.MSELoss(reduction='sum') name the same class
    return re.sub(r"[\s_\-.]", "", t)


def layer_count(value) -> int | None:
    """2 from 2, 2.0, "2", " two ", "2 layers"; None when no count can be read."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str:
        words = value.strip().lower().rstrip(".").split()
        if not words or (len(words) > 1 and not re.fullmatch(r"(linear)?layers?|linear", "".join(words[1:]))):
            return None
        head = words[0]
        if head.isdigit():
            return int(head)
        return _NUMBER_WORDS.get(head)
    return None


def loss_name(value) -> str | None:
    """The canonical key ("mseloss", "l1loss", "crossentropyloss") a loss answer names, else None."""
    if type(value) is not str:
        return None
    return _LOSS_SPELLINGS.get(squash(value))


def options_in(text: str) -> list[str]:
    """The options that a phrase mentions, in the order they appear."""
    found = [(m.start(), name) for name, pattern in OPTION_PATTERNS for m in [pattern.search(text)] if m]
    return [name for _, name in sorted(found)]


def option_name(text: str) -> str | None:
    """The option that `text` names ("weight_decay" or "I'd add weight decay" -> "weight decay"), else None."""
    exact = _OPTION_BY_SPELLING.get(squash(text))
    if exact is not None:
        return exact
    mentioned = options_in(text)
    # A phrase that mentions exactly one option names it; two or more is ambiguous.
    return mentioned[0] if len(mentioned) == 1 else None


def yes_no(value) -> bool | None:
    """True for yes/y/true (also "Yes, because ..."), False for no/n/false, None otherwise."""
    if type(value) is bool:
        return value
    if type(value) is not str:
        return None
    m = re.match(r"\s*([a-z]+)", value.lower())
    word = m.group(1) if m else ""
    if word in ("yes", "y", "true"):
        return True
    if word in ("no", "n", "false"):
        return False
    return None
