"""Claims of the benchmark homework: one public claim and one hidden claim (random inputs) per function part."""
from __future__ import annotations

import numpy as np

from grader.claims import claim
from grader.collect import format_call
from grader.errors import FormatError, Wrong
from grader.types import INT, ListOf, describe_got


def _array_answer(answers, name: str, *args) -> np.ndarray:
    got = answers.call(name, *args, timeout=10.0)
    if type(got) is not np.ndarray:
        raise FormatError(f"{format_call(name, args, {})} should return a NumPy array; it returned {describe_got(got)}")
    return got


def _close(name: str, args, got: np.ndarray, expected: np.ndarray) -> None:
    if got.shape != expected.shape:
        raise Wrong(f"{format_call(name, args, {})} returned shape {got.shape}, expected {expected.shape}")
    if not np.allclose(got, expected, atol=1e-6):
        raise Wrong(f"{format_call(name, args, {})} returned {np.round(got, 4).tolist()}, "
                    f"expected {np.round(expected, 4).tolist()}", counterexample=format_call(name, args, {}))


def _mean(answers, xs: list) -> None:
    got = answers.call("mean_of", xs, timeout=10.0)
    if type(got) not in (int, float):
        raise FormatError(f"{format_call('mean_of', (xs,), {})} should return a number; it returned {describe_got(got)}")
    if abs(got - sum(xs) / len(xs)) > 1e-9:
        raise Wrong(f"{format_call('mean_of', (xs,), {})} returned {got}, expected {sum(xs) / len(xs)}")


@claim("mean_of", points=1)
def mean_of_averages_a_small_list(answers):
    _mean(answers, [1, 2, 3, 4])


@claim("mean_of", points=1, visibility="hidden")
def mean_of_averages_any_list(answers, rng):
    for n in (1, 2, 7):
        _mean(answers, [float(x) for x in rng.normal(size=n).round(3)])


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


@claim("softmax", points=1)
def softmax_of_a_small_vector(answers):
    x = np.array([1.0, 2.0, 3.0])
    _close("softmax", (x,), _array_answer(answers, "softmax", x), _softmax(x))


@claim("softmax", points=2, visibility="hidden")
def softmax_is_stable_for_large_inputs(answers, rng):
    x = rng.normal(size=5) * 10 + 800
    _close("softmax", (x,), _array_answer(answers, "softmax", x), _softmax(x))


@claim("first_primes", points=2)
def first_primes_are_2_3_5_7_11(answers):
    got = answers.value("first_primes", ListOf(INT))
    if got != [2, 3, 5, 7, 11]:
        raise Wrong(f"first_primes is {got}; the first five primes start at 2 and skip 1 and 9")


@claim("normalize_rows", points=1)
def normalize_rows_of_a_small_matrix(answers):
    x = np.array([[3.0, 4.0], [1.0, 0.0]])
    _close("normalize_rows", (x,), _array_answer(answers, "normalize_rows", x),
           x / np.linalg.norm(x, axis=1, keepdims=True))


@claim("normalize_rows", points=2, visibility="hidden")
def normalize_rows_of_any_matrix(answers, rng):
    x = rng.normal(size=(4, 3))
    _close("normalize_rows", (x,), _array_answer(answers, "normalize_rows", x),
           x / np.linalg.norm(x, axis=1, keepdims=True))
