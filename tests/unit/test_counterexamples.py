"""Counterexamples: the smallest failing input (sizes first, then entries), written as Python that rebuilds it exactly."""
import numpy as np
import pytest

from grader.counterexamples import first_failing, python_literal, shrink_entries, snippet


def rebuilt(literal: str):
    """Run our own generated literal (never student text) and return the value."""
    scope = {"np": np}
    exec(f"value = {literal}", scope)  # noqa: S102 - the literal is the grader's, in a test
    return scope["value"]


@pytest.mark.parametrize("value", [
    np.array([[0.1, -2.0], [3.25, 1e-12]]),
    np.array([[0.3, 0.7]], dtype=np.float32),
    np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32),
    np.random.default_rng(1).standard_normal((2, 5)),
    np.array([[1, -2, 3]]),
    np.array([1, 2], dtype=np.int32),
    np.zeros((2, 0)),
])
def test_an_array_literal_rebuilds_the_array_exactly(value):
    back = rebuilt(python_literal(value))
    assert back.dtype == value.dtype and back.shape == value.shape and np.array_equal(back, value)


def test_literals_are_in_full_never_truncated():
    big = np.arange(600, dtype=np.float64).reshape(20, 30)
    text = python_literal(big)
    assert "..." not in text and "chars" not in text and np.array_equal(rebuilt(text), big)


def test_float32_entries_are_written_as_their_shortest_text():
    assert python_literal(np.array([[0.3, 2.0]], dtype=np.float32)) == "np.array([[0.3, 2.0]], dtype=np.float32)"
    assert python_literal(np.array([[2.0, -1.5]])) == "np.array([[2.0, -1.5]])"


def test_a_snippet_is_copy_pasteable():
    text = snippet((("X", np.array([[1.0, 0.0]])),), "W1, W2 = pca_weights(X, 1)")
    assert text == "import numpy as np\nX = np.array([[1.0, 0.0]])\nW1, W2 = pca_weights(X, 1)"


def test_first_failing_takes_the_smallest_and_respects_its_budget():
    tried = []

    def fails(n):
        tried.append(n)
        return n >= 3

    assert first_failing(range(10), fails, max_tries=10) == 3 and tried == [0, 1, 2, 3]
    assert first_failing(range(10), lambda n: n >= 8, max_tries=5) is None


def test_entries_are_rounded_then_moved_toward_zero_while_it_still_fails():
    start = {"X": np.array([[0.1234, 5.6789], [-7.4, 2.2]])}

    def fails(d):
        return d["X"][0, 1] > 1  # only one entry matters

    small = shrink_entries(start, fails, max_tries=100)["X"]
    # Rounded to 0.12, 0.1, then whole numbers (6); then 6 -> 0 and 6 -> 1 no longer fail, 6 -> 3 does.
    assert np.array_equal(small, [[0.0, 3.0], [0.0, 0.0]])


def test_shrinking_keeps_the_dtype_and_stops_at_its_budget():
    start = {"X": np.array([[1.5, 2.5, 3.5]], dtype=np.float32)}
    calls = []

    def fails(d):
        calls.append(d)
        return True

    small = shrink_entries(start, fails, max_tries=2)["X"]
    assert len(calls) == 2 and small.dtype == np.float32
