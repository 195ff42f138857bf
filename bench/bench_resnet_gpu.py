"""Benchmark the ResNet-9 reference trainer beside airbench's network, on the same device and data.

    python bench/bench_resnet_gpu.py --cifar10 DIR        # the blog's 10 epochs on 50,000 images
    python bench/bench_resnet_gpu.py --quick              # a CPU smoke run (seconds)

Prints, for each trainer, the median over --runs timed runs (after one untimed
warm-up run) of the training time and of training images per second, the test
accuracy, and the ratios between the two. airbench (the PyPI package) is
imported only here and only on a CUDA device, since its loader and network are
CUDA-only; without it the reference is still measured.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere inside the checkout


from reference.resnet.data import Dataset, load_dataset, make_synthetic  # noqa: E402
from reference.resnet.train import CPU_TINY, TrainConfig, accuracy, train  # noqa: E402

BLOG_EPOCHS = 10
BLOG_IMAGES = 50_000


@dataclass(frozen=True)
class Measurement:
    """Median time, throughput and accuracy of one trainer over the timed runs."""

    name: str
    seconds: float
    images_per_s: float
    accuracy: float
    runs: int


def measure_reference(data: Dataset, config: TrainConfig, runs: int) -> Measurement:
    """Warm up once, then time `runs` runs of the reference trainer."""
    train(data.train_x, data.train_y, data.test_x, replace(config, seed=10_000))  # cudnn autotuning, allocator, caches
    times, rates, accs = [], [], []
    for r in range(runs):
        result = train(data.train_x, data.train_y, data.test_x, replace(config, seed=r))
        times.append(result.train_s)
        rates.append(result.images_per_s)
        accs.append(accuracy(result.predictions, data.test_y))
    return Measurement(f"reference ResNet-9 ({result.device})", statistics.median(times), statistics.median(rates),
                       statistics.median(accs), runs)


@contextlib.contextmanager
def _airbench_data(data: Dataset):
    """A temporary working folder holding cifar10/{train,test}.pt built from `data`, as airbench's loader reads them.

    airbench builds a default loader on 'cifar10' when imported and downloads CIFAR-10 if
    the .pt files are missing; writing them first keeps it offline and on our exact data.
    """
    import torch

    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "cifar10"
        folder.mkdir()
        classes = [str(k) for k in range(10)]
        torch.save({"images": torch.from_numpy(data.train_x), "labels": torch.from_numpy(data.train_y), "classes": classes},
                   folder / "train.pt")
        torch.save({"images": torch.from_numpy(data.test_x), "labels": torch.from_numpy(data.test_y), "classes": classes},
                   folder / "test.pt")
        os.chdir(tmp)
        try:
            yield
        finally:
            os.chdir(old)


def measure_airbench(data: Dataset, runs: int) -> Measurement | str:
    """Time airbench's 94 % network and schedule on the same data; a reason string when it cannot run."""
    import torch

    if not torch.cuda.is_available():
        return "airbench skipped: it runs on CUDA only"
    with _airbench_data(data):
        try:
            import airbench
        except ImportError as e:
            return f"airbench skipped: not installed ({e}); pip install airbench==0.1.8"
        loader = airbench.CifarLoader("cifar10", train=True, batch_size=1024, aug={"flip": True, "translate": 2}, altflip=True)
        test_loader = airbench.CifarLoader("cifar10", train=False, batch_size=2000)
        epochs = 9.9  # airbench94's own schedule
        airbench.train94(train_loader=loader, epochs=epochs, verbose=False)  # warm-up
        times, accs = [], []
        for r in range(runs):
            torch.cuda.synchronize()
            t = time.perf_counter()
            model = airbench.train94(train_loader=loader, epochs=epochs, run=r, verbose=False)
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
            accs.append(airbench.evaluate(model, test_loader, tta_level=2))
    n_images = math.ceil(epochs * (len(data.train_x) // 1024)) * 1024  # airbench's own step count, full batches
    return Measurement("airbench94 network", statistics.median(times), n_images / statistics.median(times),
                       statistics.median(accs), runs)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print medians and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cifar10", metavar="DIR", help="CIFAR-10 binary-version folder (else $HW7_CIFAR10_DIR, else synthetic)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=BLOG_EPOCHS)
    ap.add_argument("--compile", action="store_true", help="torch.compile the reference network (cuda)")
    ap.add_argument("--no-airbench", action="store_true")
    ap.add_argument("--quick", action="store_true", help="CPU smoke run: tiny network, 512 synthetic images, 1 run")
    args = ap.parse_args(argv)

    if args.quick:
        data = make_synthetic(512, 256, seed=0)
        config, runs = replace(CPU_TINY, epochs=1), 1
    else:
        data = load_dataset(args.cifar10, synthetic_train=BLOG_IMAGES, synthetic_test=10_000, seed=0)
        config, runs = replace(TrainConfig(), epochs=args.epochs, compile=args.compile), args.runs
    print(f"data: {data.name}, {len(data.train_x)} train / {len(data.test_x)} test images; epochs={config.epochs}; runs={runs}")

    ref = measure_reference(data, config, runs)
    print(f"{ref.name}: median {ref.seconds:.2f} s, {ref.images_per_s:,.0f} images/s, accuracy {100 * ref.accuracy:.2f} %")
    if args.quick or args.no_airbench:
        return 0
    air = measure_airbench(data, runs)
    if isinstance(air, str):
        print(air)
        return 0
    print(f"{air.name}: median {air.seconds:.2f} s, {air.images_per_s:,.0f} images/s, accuracy {100 * air.accuracy:.2f} %")
    print(f"ratios (reference / airbench): time {ref.seconds / air.seconds:.2f}x, "
          f"per-image throughput {ref.images_per_s / air.images_per_s:.2f}x (target: >= 0.5, i.e. within 2x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
