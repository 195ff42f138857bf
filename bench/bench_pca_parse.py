"""Benchmark: parse and decide one pca_autoencoder expression (target: median under 20 ms).

    .venv/bin/python bench/bench_pca_parse.py [--runs N] [--check]

"Decide" is everything a claim does with a string: repair escapes, parse,
shape-check, evaluate at the random draws and compare with the reference
gradient (and, for a wrong answer, diagnose the slip and find a
counterexample). Prints the median and the slowest run per kind of answer.
With --check it also times `grader check` on the correct_plain example, end to
end (target under 2 s on 2 cores).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.errors import StudentFault  # noqa: E402
from problems.pca_autoencoder import checks as C  # noqa: E402

ANSWERS = {
    "correct, plain": "2*W2.T*(W2*W1 - I)*X*X.T",
    "correct, LaTeX": r"\frac{\partial L}{\partial W_1} = 2W_2^\top \left(W_2 W_1 - I_m\right) X X^\top",
    "correct, expanded": "-2 W2' X X' + 2 W2' W2 W1 X X'",
    "factor of 1/2": "W2.T*(W2*W1 - I)*X*X.T",
    "XᵀX for XXᵀ": "2*W2.T*(W2*W1 - I)*X.T*X",
    "wrong, counterexample": "W1 + W2.T",
    "parse error": "2*W2.T*(W2*W1 - I*X*X.T",
    "too long": "W1 + " * 190 + "W1",
}


class Answers:
    """The one answer the claim reads."""

    def __init__(self, text: str):
        self.text = text

    def value(self, name, spec=None):
        """The answer string."""
        return self.text


def decide(text: str) -> None:
    """Everything the 'equals the true gradient' claim does with one string."""
    try:
        C.grad_w1_equals_the_true_gradient(Answers(text))
    except StudentFault:
        pass  # a verdict either way; only the time matters here


def main() -> None:
    """Time each kind of answer and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--check", action="store_true", help="also time `grader check` on correct_plain")
    args = parser.parse_args()

    C.references()  # derived once per process by sympy; not part of deciding one answer
    print(f"cores: {os.cpu_count()}, runs per answer: {args.runs}")
    medians = []
    for label, text in ANSWERS.items():
        decide(text)  # warm-up
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            decide(text)
            times.append((time.perf_counter() - t0) * 1000)
        med = statistics.median(times)
        medians.append(med)
        print(f"  {label:24s} median {med:7.2f} ms   max {max(times):7.2f} ms")
    print(f"parse+decide median over all answers: {statistics.median(medians):.2f} ms (target < 20 ms)")

    if args.check:
        cmd = [sys.executable, "-m", "grader", "check", str(ROOT / "submissions/examples/pca_autoencoder/correct_plain"),
               "--problem", "pca_autoencoder"]
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
            walls.append(time.perf_counter() - t0)
        print(f"grader check correct_plain: median {statistics.median(walls):.2f} s over 3 runs (target < 2 s)")


if __name__ == "__main__":
    main()
