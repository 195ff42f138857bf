"""Answer-type specs: cheap format checks run before any value is compared.

A spec checks the exact type of a plain value that came back from the sandbox
and raises `FormatError` saying what was expected and what was got
("expected a list of 5 strings, got a tuple of 4").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from grader.errors import FormatError

REPR_CAP = 200
# A word as a reader counts it: letters or digits, joined by inner apostrophes or hyphens ("don't", "one-cycle").
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def count_words(text: str) -> int:
    """How many words a reader would count in `text` (punctuation, dashes and LaTeX markup are not words)."""
    return len(WORD.findall(text))


def short_repr(value, cap: int = REPR_CAP) -> str:
    """repr capped at `cap` characters, for messages."""
    text = repr(value)
    return text if len(text) <= cap else text[: cap - 15] + f"... ({len(text)} chars)"


def type_name(value) -> str:
    """A student-friendly name for the type of a value from the sandbox."""
    if isinstance(value, Unsupported):
        return value.type_name
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return {bool: "bool", int: "int", float: "float", str: "string", list: "list", tuple: "tuple",
            dict: "dict", type(None): "None"}.get(type(value), type(value).__name__)


def describe_got(value) -> str:
    """'a tuple of 4', 'a string', 'an int (3)': how a wrong-typed value is described."""
    if isinstance(value, Unsupported):
        return f"a value of type {value.type_name} ({value.repr})"
    if isinstance(value, CallableRef):
        return "a function"
    if type(value) in (list, tuple):
        return f"a {type_name(value)} of {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an {type_name(value)}"
    return f"{'an' if type_name(value)[0] in 'aeiou' else 'a'} {type_name(value)} ({short_repr(value, 60)})"


@dataclass(frozen=True)
class Unsupported:
    """A value the sandbox could not turn into plain data (a str subclass, an object...)."""

    type_name: str
    repr: str


@dataclass(frozen=True)
class Raised:
    """What calling a returned object raised in the sandbox (e.g. a model's forward pass): type name and message."""

    type: str
    message: str


@dataclass(frozen=True)
class CallableRef:
    """Stands for a function defined by the submission (its value cannot cross)."""

    name: str


class Spec:
    """Base of all specs."""

    def describe(self) -> str:
        raise NotImplementedError

    def check(self, value, where: str) -> None:
        """Raise FormatError when `value` does not fit."""
        raise NotImplementedError


@dataclass(frozen=True)
class Exact(Spec):
    """A value whose type is exactly one of `types` (bool is never an int here)."""

    types: tuple

    def describe(self) -> str:
        names = {str: "a string", int: "an int", float: "a float", bool: "a bool", dict: "a dict",
                 list: "a list", tuple: "a tuple"}
        return " or ".join(names.get(t, t.__name__) for t in self.types)

    def check(self, value, where: str) -> None:
        if type(value) not in self.types:
            raise FormatError(f"{where}: expected {self.describe()}, got {describe_got(value)}")


STR = Exact((str,))
INT = Exact((int,))
NUMBER = Exact((int, float))


@dataclass(frozen=True)
class ListOf(Spec):
    """Exactly a list (a tuple only looks like one) of items fitting `item`, optionally of a fixed length."""

    item: Spec
    length: int | None = None

    def describe(self) -> str:
        n = f"{self.length} " if self.length is not None else ""
        return f"a list of {n}{self.item.describe().removeprefix('a ').removeprefix('an ')}s".replace("stringss", "strings")

    def check(self, value, where: str) -> None:
        if type(value) is not list or (self.length is not None and len(value) != self.length):
            raise FormatError(f"{where}: expected {self.describe()}, got {describe_got(value)}")
        for i, v in enumerate(value):
            self.item.check(v, f"{where}[{i}]")


@dataclass(frozen=True)
class TupleOf(Spec):
    """Exactly a tuple (a list only looks like one) with one item per spec in `items`."""

    items: tuple

    def describe(self) -> str:
        return f"a tuple of {len(self.items)} ({', '.join(s.describe() for s in self.items)})"

    def check(self, value, where: str) -> None:
        if type(value) is not tuple or len(value) != len(self.items):
            raise FormatError(f"{where}: expected {self.describe()}, got {describe_got(value)}")
        for i, (v, s) in enumerate(zip(value, self.items)):
            s.check(v, f"{where}[{i}]")


@dataclass(frozen=True)
class Array(Spec):
    """A real numeric ndarray with `ndim` dimensions and, optionally, an exact shape."""

    ndim: int | None = None
    shape: tuple | None = None

    def describe(self) -> str:
        if self.shape is not None:
            return f"a real array of shape {self.shape}"
        return f"a real {self.ndim}-d array" if self.ndim else "a real array"

    def check(self, value, where: str) -> None:
        if type(value) is not np.ndarray:
            raise FormatError(f"{where}: expected {self.describe()}, got {describe_got(value)}")
        if value.dtype.kind not in "biuf":
            raise FormatError(f"{where}: expected {self.describe()}, got an array of dtype {value.dtype}")
        if self.ndim is not None and value.ndim != self.ndim:
            raise FormatError(f"{where}: expected {self.describe()}, got an array of shape {value.shape}")
        if self.shape is not None and tuple(value.shape) != tuple(self.shape):
            raise FormatError(f"{where}: expected {self.describe()}, got an array of shape {value.shape}")
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise FormatError(f"{where}: the array holds NaN or infinite entries")


@dataclass(frozen=True)
class DictOf(Spec):
    """A dict with exactly the given string keys, each value fitting its spec."""

    fields: tuple  # ((key, spec), ...)

    def describe(self) -> str:
        return "a dict with keys " + ", ".join(repr(k) for k, _ in self.fields)

    def check(self, value, where: str) -> None:
        if type(value) is not dict:
            raise FormatError(f"{where}: expected {self.describe()}, got {describe_got(value)}")
        want = [k for k, _ in self.fields]
        missing = [k for k in want if k not in value]
        if missing:
            raise FormatError(f"{where}: expected {self.describe()}; missing {', '.join(map(repr, missing))}")
        for k, s in self.fields:
            s.check(value[k], f"{where}[{k!r}]")


@dataclass(frozen=True)
class AnyOf(Spec):
    """Fits when any of `specs` fits."""

    specs: tuple

    def describe(self) -> str:
        return " or ".join(s.describe() for s in self.specs)

    def check(self, value, where: str) -> None:
        for s in self.specs:
            try:
                s.check(value, where)
                return
            except FormatError:
                continue
        raise FormatError(f"{where}: expected {self.describe()}, got {describe_got(value)}")


@dataclass(frozen=True)
class ModuleInfo:
    """Plain description of a torch.nn.Module built in the sandbox.

    `params` holds (name, shape) for each directly owned parameter, e.g.
    (("weight", (3, 5)),) for nn.Linear(5, 3, bias=False); `attrs` holds
    simple attributes such as in_features/out_features; `children` are the
    submodules in registration order.
    """

    type: str  # class name, e.g. "Linear"; "torch.nn" classes keep their plain name
    module: str  # the defining module, e.g. "torch.nn.modules.linear"
    name: str  # attribute name in the parent ("" for the root)
    params: tuple
    attrs: tuple  # ((key, value), ...) of int/float/bool/str attributes
    children: tuple
    values: tuple = field(default=(), compare=False)  # ((name, float64 array), ...) of the small own parameters

    def value(self, name: str) -> np.ndarray | None:
        """The value of the own parameter `name` (None when it is not there or too big to have been sent)."""
        return dict(self.values).get(name)

    def walk(self):
        """This module and all descendants, depth first."""
        yield self
        for c in self.children:
            yield from c.walk()

    @property
    def n_params(self) -> int:
        """Total number of scalar parameters in this module and its children."""
        own = sum(int(np.prod(s)) for _, s in self.params)
        return own + sum(c.n_params for c in self.children)
