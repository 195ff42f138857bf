"""A small 4-question homework (bench only): the same questions nbgrader grades in bench/bench_batch.py."""
from grader.problem import Part, Problem

PROBLEM = Problem(
    name="small_hw",
    title="Four small NumPy questions (benchmark homework)",
    parts=(
        Part("mean_of", points=2, answer="function (list of numbers) -> float", kind="function"),
        Part("softmax", points=3, answer="function (1-D array) -> 1-D array summing to 1", kind="function"),
        Part("first_primes", points=2, answer="list of the first 5 primes"),
        Part("normalize_rows", points=3, answer="function (2-D array) -> rows of unit length", kind="function"),
    ),
)
