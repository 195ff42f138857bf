"""In-process stand-ins for the engine's `answers` fixture, for unit tests of the regularized_autoencoder checks.

The real engine runs student code in a sandbox; these fakes run it here (the
code is our own examples) and convert results to the same plain data.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.fakes import FakeAnswers, plain  # noqa: F401 (re-exported for the regae tests)

EXAMPLES = Path(__file__).resolve().parents[2] / "submissions" / "examples" / "regularized_autoencoder"


def load_example(scenario: str) -> FakeAnswers:
    """The example submission `scenario` as FakeAnswers (its public names only)."""
    path = EXAMPLES / scenario / "answers.py"
    spec = importlib.util.spec_from_file_location(f"regae_example_{scenario}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return FakeAnswers({k: v for k, v in vars(mod).items() if not k.startswith("_")})
