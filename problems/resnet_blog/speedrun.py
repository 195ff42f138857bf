"""The optional speed-run part: run the student's `train_fast`, and time the reference beside it where there is one.

Trusted side only. The reference trainer and the CIFAR-10 reader are reached through sealed
data (`Live` seals of seals.py): a student package has neither, so there the check runs on
the synthetic set and reports no reference time. torch is imported lazily, so that loading
the problem (and grading the other parts) stays cheap.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import time
from dataclasses import dataclass

import numpy as np

from grader.claims import Metric
from grader.errors import FormatError, Partial, StudentCrash, Wrong
from grader.types import describe_got
from grader.seal import sealed
from problems.resnet_blog.settings import SPEED_RUN_CPU, SpeedRun
from problems.resnet_blog.synthetic import make_synthetic

GPU_LOCK = "/tmp/hw7-grader-gpu.lock"


@dataclass(frozen=True)
class SpeedRunData:
    """The images handed to train_fast and the test labels kept back for scoring."""

    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def _live(name: str):
    """What only the course's repository has (the reference trainer, the CIFAR-10 reader); None in a package."""
    return sealed(__package__).live(name)


def choose_setting(gpu: bool) -> SpeedRun:
    """The GPU setting when the sandbox has the GPU and a local CIFAR-10 exists, else the CPU one."""
    cifar10, on_gpu = _live("cifar10"), _live("gpu_speed_run")  # the course's repository only
    if not gpu or cifar10 is None or on_gpu is None:
        return SPEED_RUN_CPU
    import torch

    if torch.cuda.is_available() and cifar10.find() is not None:
        return on_gpu
    return SPEED_RUN_CPU


@contextlib.contextmanager
def exclusive_gpu(setting: SpeedRun):
    """Hold a machine-wide lock while a timed run uses the GPU: timed runs never share it."""
    if setting.dataset == "synthetic":
        yield
        return
    with open(GPU_LOCK, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_data(setting: SpeedRun, seed: int) -> SpeedRunData:
    """The data set of `setting`: synthetic from `seed`, or the local CIFAR-10 (cut to n_train/n_test)."""
    if setting.dataset == "synthetic":
        d = make_synthetic(setting.n_train, setting.n_test, seed)
    else:
        d = _cifar10(str(_live("cifar10").find()))
    return SpeedRunData(d.name, d.train_x[: setting.n_train], d.train_y[: setting.n_train],
                        d.test_x[: setting.n_test], d.test_y[: setting.n_test])


@functools.lru_cache(maxsize=1)
def _cifar10(folder: str):
    """CIFAR-10 read once per grading process (150 MB; every submission uses the same copy)."""
    return _live("cifar10").load(folder)


@functools.lru_cache(maxsize=4)
def reference_seconds(setting: SpeedRun) -> tuple[float, float] | None:
    """(seconds, accuracy) of the reference trainer on this machine, once per grading process and setting.

    None in a student package, which has no reference trainer.
    """
    trainer = _live("reference_trainer")
    if trainer is None:
        return None
    data = load_data(setting, seed=0)  # timing hardly depends on the seed; one run serves every submission
    return trainer(data, setting.reference)


def as_labels(got, n: int) -> np.ndarray:
    """The student's predictions as an int array of shape (n,); FormatError otherwise."""
    if type(got) in (list, tuple) and all(type(v) is int for v in got):
        got = np.asarray(got, dtype=np.int64)
    if type(got) is not np.ndarray:
        raise FormatError(f"train_fast must return one predicted label per test image (an array of shape ({n},)), "
                          f"got {describe_got(got)}")
    if got.ndim == 2 and got.shape == (n, 10):
        raise FormatError(f"train_fast returned an array of shape {got.shape} (scores?); return labels, e.g. logits.argmax(1)")
    if got.shape != (n,) or got.dtype.kind not in "iuf":
        raise FormatError(f"train_fast must return an integer array of shape ({n},), got an array of shape {got.shape} "
                          f"and dtype {got.dtype}")
    if got.dtype.kind == "f" and not np.all(np.isfinite(got) & (got == np.round(got))):
        raise FormatError("train_fast returned non-integer labels; return class indices 0..9")
    return got.astype(np.int64)


def grade_train_fast(answers, seed: int, setting: SpeedRun | None = None, record=None) -> str:
    """Run train_fast on the setting's data within its budget; return the report or raise Partial/Wrong.

    `record` (pytest's record_property) receives the time and accuracy of a run that returned labels,
    for the leaderboard.
    """
    if not answers.has("train_fast"):
        # The call raises the not-answered message; asked first, so that no torch import or data is paid for.
        answers.call("train_fast")
    setting = setting or choose_setting(bool(getattr(answers, "gpu", False)))
    data = load_data(setting, seed)
    timeout = setting.budget_s + setting.grace_s
    with exclusive_gpu(setting):
        start = time.perf_counter()
        try:
            got = answers.call("train_fast", data.train_x, data.train_y, data.test_x, setting.budget_s, timeout=timeout)
        except StudentCrash as e:
            if e.timed_out:
                raise StudentCrash(f"train_fast ran out of time: its budget is {setting.budget_s:g} s "
                                   f"(+{setting.grace_s:g} s allowed for moving the data). {e.message}") from e
            raise
        elapsed = time.perf_counter() - start
        timed = reference_seconds(setting)
    labels = as_labels(got, len(data.test_y))
    acc = float(np.mean(labels == data.test_y))
    if record is not None:
        record("metric", Metric("train_fast time (s)", elapsed, "asc"))
        record("metric", Metric("train_fast accuracy (%)", 100 * acc, "desc"))
    report = (
        f"accuracy {100 * acc:.1f} % on {data.name} ({len(data.test_y)} test images; target {100 * setting.target:.0f} %); "
        f"time {elapsed:.1f} s, moving the data included (budget {setting.budget_s:g} s)"
    )
    if timed is not None:  # the course's repository times the reference too; a student package cannot
        ref_s, ref_acc = timed
        report += (f"; the reference ResNet-9 took {ref_s:.1f} s here ({100 * ref_acc:.1f} %), "
                   f"so {elapsed / ref_s:.1f}x the reference")
    if acc >= setting.target:
        return report
    if acc >= setting.partial_from:
        raise Partial(0.5, f"below the target: {report}")
    raise Wrong(f"far below the target (half credit from {100 * setting.partial_from:.0f} %): {report}")
