"""In-process stand-ins for the engine's `answers` fixture, for unit tests of the regularized_autoencoder checks.

The real engine runs student code in a sandbox; these fakes run it here (the
code is our own examples) and convert results to the same plain data.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

from grader import wire
from grader.collect import HOOKS
from grader.errors import NotAnswered, StudentCrash

EXAMPLES = Path(__file__).resolve().parents[2] / "submissions" / "examples" / "regularized_autoencoder"


def plain(value):
    """What the sandbox sends back for `value`: the engine's own wire encoding, decoded on the trusted side."""
    return wire.decode(wire.encode(value), HOOKS)


@dataclass
class FakeAnswers:
    """Answers held in a dict; functions are called in-process and their results made plain."""

    values: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)

    def has(self, name):
        """Whether the name is defined."""
        return name in self.values

    def value(self, name, spec=None):
        """The plain value of a name, checked against spec."""
        if name not in self.values:
            raise NotAnswered(f"{name} is not defined")
        v = self.values[name]
        if spec is not None:
            spec.check(v, name)
        return v

    def call(self, name, *args, timeout=10.0, **kwargs):
        """Call a function answer and return plain data; exceptions become StudentCrash."""
        if name not in self.values:
            raise NotAnswered(f"{name} is not defined")
        self.calls.append((name, args))
        try:
            return plain(self.values[name](*args, **kwargs))
        except Exception as exc:  # the student's code failed: that is a graded fault, as in the sandbox
            raise StudentCrash(f"{name} raised {type(exc).__name__}: {exc}") from exc


def load_example(scenario: str) -> FakeAnswers:
    """The example submission `scenario` as FakeAnswers (its public names only)."""
    path = EXAMPLES / scenario / "answers.py"
    spec = importlib.util.spec_from_file_location(f"regae_example_{scenario}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return FakeAnswers({k: v for k, v in vars(mod).items() if not k.startswith("_")})
