"""Benchmark: the similarity report over a synthetic class, at 250 and 1,000 submissions; and answer groups for 500.

Each synthetic submission has an answers.py of about 120 lines (functions built from a shared pool of statements,
as students' code shares idioms, in a random order with random names) and three free responses of about 100 words
(drawn from a Zipf vocabulary); 1% are planted copies (renamed, reordered). The figures are the medians of
`compare` (tokenizing, fingerprinting, the inverted index and the passages of the reported pairs) over several runs,
and the ratio of the 1,000 run to its 250 peer in the same process: 4.0 is linear growth, 16 would be all pairs.
Run with `.venv/bin/python bench/bench_similarity.py [--runs N]`.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader.model import PENDING, PASSED, WRONG  # noqa: E402
from grader.staff.groups import group_part  # noqa: E402
from grader.staff.similarity import Source, compare  # noqa: E402

OPS = ["+", "-", "*", "@", "/"]
SHAPES = [
    "{a} = {b} {op} {c}",
    "{a} = np.{fn}({b}, axis={n})",
    "for {a} in range({n}, len({b})):\n        {c}.append({a} {op} {n})",
    "if {a} {cmp} {n}:\n        {b} = {c}[{n}:]",
    "{a}, {b} = np.linalg.{lin}({c})",
    "{a} = [{b} {op} {n} for {b} in {c}]",
    "{a} = {b}.reshape({n}, -1).T",
    "while {a} {cmp} {n}:\n        {a} = {a} {op} {b}",
    "{a} = sorted({b}, key=lambda {c}: -{c}[{n}])",
    "{a} = dict(zip({b}, {c}))",
    "assert {a}.shape == ({b}, {c}), {a}.shape",
    "{a} = {b}[:, {c}[:{n}]]",
]
FNS = ["mean", "sum", "max", "argsort", "cumsum", "std"]
LINS = ["eigh", "qr", "svd", "slogdet"]
CMPS = ["<", ">", "<=", ">=", "!="]


def statement(rng: random.Random) -> str:
    """One line (or two) of plausible student code with random names and numbers."""
    names = [rng.choice("abcdefghkmnpqrstuvwxyz") + str(rng.randrange(100)) for _ in range(3)]
    return rng.choice(SHAPES).format(a=names[0], b=names[1], c=names[2], op=rng.choice(OPS), n=rng.randrange(10),
                                     fn=rng.choice(FNS), lin=rng.choice(LINS), cmp=rng.choice(CMPS))


def program(rng: random.Random, pool: list[str]) -> str:
    """An answers.py: 12 functions of 6 to 12 statements from the shared pool, and two value answers."""
    functions = []
    for f in range(12):
        body = "\n    ".join(rng.choice(pool) for _ in range(rng.randrange(6, 13)))
        functions.append(f"def helper_{rng.randrange(10**6)}(X, k):\n    {body}\n    return X\n")
    return f'import numpy as np\n\ngrad_W1 = "{gradient(rng)}"\n\n' + "\n\n".join(functions)


COMMON_MISTAKES = ["2*W2.T*(W2*W1 - I)*X", "W2.T*(W2*W1 - I)*X*X.T", "2*(W2*W1 - I)*X*X.T", "-2*W2.T*X*X.T"]


def gradient(rng: random.Random) -> str:
    """A grad_W1 answer: right, one of the common mistakes, or a mistake of one's own."""
    pick = rng.random()
    if pick < 0.5:
        return "2*W2.T*(W2*W1 - I)*X*X.T"
    if pick < 0.8:
        return rng.choice(COMMON_MISTAKES)
    return f"{rng.randrange(2, 99)}*W2.T*(W2*W1 - {rng.randrange(2, 99)}*I)*X*X.T*{rng.randrange(2, 99)}"


def essay(rng: random.Random, vocabulary: list[str], weights: list[float]) -> str:
    """About 100 words from a Zipf vocabulary, in sentences."""
    words = rng.choices(vocabulary, weights, k=rng.randrange(80, 121))
    return " ".join(w + ("." if i % 15 == 14 else "") for i, w in enumerate(words))


def synthetic_class(n: int, seed: int = 0) -> list[Source]:
    """`n` submissions, 1% of them copies of another (names changed, functions reordered, essays kept)."""
    rng = random.Random(seed)
    pool = [statement(rng) for _ in range(400)]
    vocabulary = [f"w{i}" for i in range(3000)]
    weights = [1 / (i + 1) for i in range(len(vocabulary))]
    out = []
    for i in range(n):
        if i > 10 and rng.random() < 0.01:
            original = out[rng.randrange(len(out))]
            parts = original.parts
            code = original.code[0][1].split("\n\n")
            head, functions = code[:2], code[2:]
            rng.shuffle(functions)
            renamed = "\n\n".join(head + functions).replace("X, k", "data, num")
            out.append(Source(f"s{i:04d}", (("answers.py", renamed),), original.responses, parts))
            continue
        responses = tuple((f"p.essay{j}", essay(rng, vocabulary, weights)) for j in range(3))
        code = program(rng, pool)
        right = '"2*W2.T*(W2*W1 - I)*X*X.T"' in code
        parts = (("grad_W1", "pca_autoencoder.grad_W1", "value", PASSED if right else WRONG),)
        out.append(Source(f"s{i:04d}", (("answers.py", code),), responses, parts))
    return out


def median_seconds(fn, runs: int) -> float:
    """Median wall time of `fn()` over `runs` runs."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs=2, default=(250, 1000), metavar=("PEER", "N"))
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    peer_n, n = args.sizes
    peer, full = synthetic_class(peer_n), synthetic_class(n)
    tokens = sum(len(s.code[0][1]) for s in full) / n
    report = compare(full)
    print(f"{n} submissions, {tokens:,.0f} characters of code each on average; "
          f"{len(report.pairs) + report.more} pair(s) reported")
    t_peer = median_seconds(lambda: compare(peer), args.runs)
    t_full = median_seconds(lambda: compare(full), args.runs)
    print(f"similarity, {peer_n} submissions: {t_peer:.2f} s ({1000 * t_peer / peer_n:.1f} ms per submission)")
    print(f"similarity, {n} submissions: {t_full:.2f} s ({1000 * t_full / n:.1f} ms per submission)")
    print(f"ratio {n} / {peer_n}: {t_full / t_peer:.2f} (linear: {n / peer_n:.1f}; all pairs: {(n / peer_n) ** 2:.0f})")
    answers = [(s.student, s.responses[0][1] if s.responses else "", PENDING) for s in full[:500]]
    answers = [a for a in answers if a[1]]
    t_groups = median_seconds(lambda: group_part("p.essay0", answers), args.runs)
    print(f"answer groups for {len(answers)} free responses of one part: {t_groups:.2f} s")


if __name__ == "__main__":
    main()
