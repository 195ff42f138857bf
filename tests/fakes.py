"""An in-process stand-in for the engine's `answers` fixture, for unit and message tests of claims.

The real engine runs student code in a sandbox; this fake runs our own example
code here and sends every result through the engine's wire codec, so checks
see exactly the plain data they would get from the sandbox.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

from grader import wire
from grader.collect import HOOKS
from grader.errors import NotAnswered, StudentCrash
from grader.types import Raised


def plain(value):
    """What the sandbox sends back for `value`: the engine's wire encoding, decoded on the trusted side."""
    return wire.decode(wire.encode(value), HOOKS)


@dataclass
class FakeAnswers:
    """Answers held in a dict; functions are called in-process and their results made plain."""

    values: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)  # (name, args, timeout) of each call
    chat: dict = field(default_factory=dict)  # data a transcript's extractor gave the checks (none: code)
    marks: dict = field(default_factory=dict)  # place -> (verdict, note), as checks mark a transcript

    def from_chat(self, name):
        """Data from a chat transcript; NotAnswered for code, as the engine answers."""
        if name not in self.chat:
            raise NotAnswered(f"{name} comes from a chat transcript; this submission is code, not a chat")
        return self.chat[name]

    def mark(self, key, verdict, note=""):
        """Record a check's verdict on a place of the transcript."""
        self.marks[key] = (verdict, note)

    def has(self, name):
        """Whether the name is defined."""
        return name in self.values

    def value(self, name, spec=None):
        """The value of a name, checked against spec; NotAnswered when missing."""
        if name not in self.values:
            raise NotAnswered(f"{name} is not answered (the submission does not define it)")
        if spec is not None:
            spec.check(self.values[name], name)
        return self.values[name]

    def call(self, name, *args, timeout=10.0, **kwargs):
        """Call a function answer and return plain data; its exceptions become StudentCrash."""
        fn = self.value(name)
        self.calls.append((name, args, timeout))
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # the student's code failed: a graded fault, as in the sandbox
            raise StudentCrash(f"{name} raised {type(exc).__name__}: {exc}") from exc
        return plain(result)

    def call_then(self, name, args, then, timeout=10.0):
        """Call a function answer, then call its result with each argument tuple, as the sandbox worker does."""
        fn = self.value(name)
        self.calls.append((name, args, timeout))
        try:
            result = fn(*args)
        except Exception as exc:  # the student's code failed: a graded fault, as in the sandbox
            raise StudentCrash(f"{name} raised {type(exc).__name__}: {exc}") from exc
        outcomes = []
        for step in then:
            try:
                outcomes.append(plain(result(*wire.in_dtype_of(result, [_unwrap(a) for a in step]))))
            except Exception as exc:  # the returned object failed: reported per step, as in the sandbox
                outcomes.append(Raised(type(exc).__name__, str(exc)[:500]))
        return plain(result), tuple(outcomes)


def _unwrap(arg):
    """A TensorArg as the torch tensor the worker would pass; anything else as is."""
    if isinstance(arg, wire.TensorArg):
        import torch

        return torch.from_numpy(arg.array)
    return arg

def call_claim(claim, answers, **fixtures):
    """Call a claim as the engine does: with `answers` and those of `fixtures` (reveal, rng, seed) that it asks for."""
    wanted = inspect.signature(claim).parameters
    return claim(answers, **{k: v for k, v in fixtures.items() if k in wanted})
