"""How resnet_blog's public checks run: the free responses' length and the speed run on a CPU (no answer here).

The accepted facts (times and accuracy) are in facts.py, which only the graded checks read; so is the
speed run on a GPU, whose target is the series' own accuracy (`grader grade --gpu` only).
"""
from __future__ import annotations

from dataclasses import dataclass

# The free responses: about 100 words each; the automatic check only bounds the length.
MIN_WORDS = 50
MAX_WORDS = 200


@dataclass(frozen=True)
class SpeedRun:
    """How the optional `train_fast` part is run: data, target accuracy, budget, and the reference's settings."""

    name: str
    dataset: str  # "synthetic" (generated from the claim's seed) or "cifar10" (a local copy)
    n_train: int
    n_test: int
    target: float  # test accuracy to reach
    budget_s: float  # passed to train_fast: the time it may use
    grace_s: float  # added to the budget for moving the data in and out of the sandbox (its imports are done before)
    partial_from: float  # below target but at least this accuracy: half credit
    reference: tuple  # ((field, value), ...) overriding reference.resnet.TrainConfig for the timing baseline


# CPU (CI, and any grading machine without a GPU): a small synthetic set, so that a check takes seconds.
# The reference takes about 1.5 s on two cores and reaches 95-100 %; nearest-class-mean in numpy
# reaches ~99 %. 90 % leaves room for a plain trainer.
SPEED_RUN_CPU = SpeedRun(
    name="synthetic CIFAR-like set (CPU)", dataset="synthetic", n_train=400, n_test=200, target=0.90,
    budget_s=8.0, grace_s=2.0, partial_from=0.5,
    reference=(("epochs", 3), ("batch_size", 64), ("width", 16), ("lr", 0.2), ("bn_momentum", 0.3), ("device", "cpu")),
)
