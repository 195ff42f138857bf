"""Smallest counterexamples: shrink a failing input (sizes first, then entries), and show it as Python.

A check that found an input where a student's function goes wrong looks for
the smallest input that goes wrong *the same way*, like Hypothesis: the
caller lists candidate inputs smallest first (`first_failing`), then
`shrink_entries` rounds the entries and moves them toward 0 one at a time,
keeping each change under which the input still fails. Every try may run the
student's code (in the sandbox), so both take a budget of tries.

`python_literal` and `snippet` write the input as Python that rebuilds it
exactly (`X = np.array([[1.0, 0.0], ...], dtype=np.float32)`), in full: a
counterexample is never truncated.
"""
from __future__ import annotations

from typing import Callable, Iterable, TypeVar

import numpy as np

T = TypeVar("T")

# Decimals tried when rounding the entries, coarsest last (0: whole numbers).
ROUNDINGS = (2, 1, 0)


def first_failing(candidates: Iterable[T], fails: Callable[[T], bool], max_tries: int) -> T | None:
    """The first of `candidates` (listed smallest first) on which `fails` is true, trying at most `max_tries`."""
    for tries, candidate in enumerate(candidates):
        if tries >= max_tries:
            break
        if fails(candidate):
            return candidate
    return None


def _toward_zero(v: float) -> list[float]:
    """Simpler values for one entry, simplest first: 0, then ±1, then half of it (whole numbers only)."""
    if v == 0:
        return []
    out = [0.0]
    if v == round(v) and abs(v) > 1:
        out.append(float(np.sign(v)))
        if abs(v) > 2:
            out.append(float(np.sign(v) * (abs(v) // 2)))
    return out


def shrink_entries(arrays: dict, fails: Callable[[dict], bool], max_tries: int,
                   roundings: tuple = ROUNDINGS, entrywise: bool = True) -> dict:
    """A simpler failing version of `arrays` (name -> array; `fails(arrays)` already true).

    First every array is rounded to 2, 1, then 0 decimals (each kept if it still
    fails); then, with `entrywise`, each entry in turn is set to 0, ±1 or half its
    value. Dtypes are kept. At most `max_tries` calls of `fails`.
    """
    best = {name: np.array(a) for name, a in arrays.items()}
    tries = 0

    def attempt(candidate: dict) -> bool:
        nonlocal tries, best
        if tries >= max_tries:
            return False
        tries += 1
        if fails(candidate):
            best = candidate
            return True
        return False

    for decimals in roundings:
        rounded = {name: np.round(a.astype(np.float64), decimals).astype(a.dtype) for name, a in best.items()}
        if any(not np.array_equal(rounded[n], best[n]) for n in best):
            attempt(rounded)
    if entrywise:
        for name in list(best):
            for index in np.ndindex(best[name].shape):
                for simpler in _toward_zero(float(best[name][index])):
                    candidate = {n: a.copy() for n, a in best.items()}
                    candidate[name][index] = simpler
                    if attempt(candidate):
                        break
                if tries >= max_tries:
                    return best
    return best


def _number(x, dtype: np.dtype) -> str:
    """One entry as the shortest text that gives back the same value in `dtype`."""
    if dtype.kind in "iub":
        return str(int(x))
    if dtype == np.float32:
        text = str(np.float32(x))  # numpy's shortest text that rounds back to this float32
    else:
        text = repr(float(x))
    return text if any(c in text for c in ".en") else text + ".0"


def _nested(a: np.ndarray) -> str:
    if a.ndim == 0:
        return _number(a[()], a.dtype)
    return "[" + ", ".join(_nested(row) for row in a) + "]"


def python_literal(value) -> str:
    """`value` as Python source that rebuilds it exactly (arrays as `np.array(...)`, dtype named when not the default)."""
    if isinstance(value, np.ndarray):
        dtype = "" if value.dtype in (np.float64, np.int64) else f", dtype=np.{value.dtype}"
        if value.size == 0:
            return f"np.zeros({tuple(value.shape)}{dtype})"
        return f"np.array({_nested(value)}{dtype})"
    if isinstance(value, float):
        return repr(value)
    if type(value) in (list, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if type(value) is tuple and len(value) == 1 else (f"({inner})" if type(value) is tuple else f"[{inner}]")
    return repr(value)


def snippet(assignments: tuple, call: str) -> str:
    """Copy-pasteable lines: `import numpy as np`, one `name = literal` per assignment, then `call`."""
    lines = ["import numpy as np"] + [f"{name} = {python_literal(value)}" for name, value in assignments]
    return "\n".join(lines + [call])
