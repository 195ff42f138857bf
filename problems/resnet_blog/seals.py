"""What resnet_blog's public checks read from the course's repository only. Staff-only.

The public checks compare no fact (the facts are graded after the due date, in
graded_checks.py), so nothing is sealed: only the reference trainer, to time it beside a
student's train_fast, and the CIFAR-10 reader and GPU setting for `grader grade --gpu`. All
are `Live`: a student package has none, and its speed run (on a CPU) reports no reference time.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from grader.seal import Live


@dataclass(frozen=True)
class Cifar10:
    """The local CIFAR-10 copy, if one is named: where it is, and reading it."""

    def find(self):
        """The CIFAR-10 folder named by $HW7_CIFAR10_DIR, or None."""
        from reference.resnet.data import find_cifar10

        return find_cifar10()

    def load(self, folder: str):
        """Read it (a reference.resnet.data.Dataset)."""
        from reference.resnet.data import load_cifar10

        return load_cifar10(folder)


def time_reference(data, overrides: tuple) -> tuple[float, float]:
    """(seconds, accuracy) of the reference ResNet trainer on `data`, with `overrides` of its TrainConfig."""
    from reference.resnet.train import TrainConfig, accuracy, train

    config = replace(TrainConfig(), **dict(overrides))
    result = train(data.train_x, data.train_y, data.test_x, config)
    return result.total_s, accuracy(result.predictions, data.test_y)


def seals() -> dict:
    """The sealed data the public checks read: nothing but what stays in the course's repository."""
    from problems.resnet_blog.facts import SPEED_RUN_GPU  # its target is the series' accuracy: an answer

    return {"reference_trainer": Live(lambda: time_reference), "cifar10": Live(Cifar10),
            "gpu_speed_run": Live(lambda: SPEED_RUN_GPU)}
