"""Data for the ResNet reference: a CIFAR-10 binary-version reader and a synthetic CIFAR-like set.

Images are always returned as uint8 arrays of shape (N, 32, 32, 3) (height, width,
channel: the layout of torchvision's `CIFAR10.data`) with int64 labels in 0..9.
Nothing here downloads anything.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# The synthetic set and the Dataset type are the checks' own (no answer in them): the reference uses them from there.
from problems.resnet_blog.synthetic import NUM_CLASSES, Dataset, make_synthetic  # noqa: F401

CIFAR10_ENV = "HW7_CIFAR10_DIR"  # the setting naming a local copy of CIFAR-10 (binary version)
RECORD_BYTES = 1 + 32 * 32 * 3  # one label byte, then 3072 pixel bytes (R plane, G plane, B plane)
IMAGES_PER_FILE = 10_000
CIFAR10_FILES = {  # every file of the binary version has exactly 10,000 records
    **{f"data_batch_{i}.bin": IMAGES_PER_FILE * RECORD_BYTES for i in range(1, 6)},
    "test_batch.bin": IMAGES_PER_FILE * RECORD_BYTES,
}
IMAGE_SHAPE = (32, 32, 3)


class CifarNotFound(FileNotFoundError):
    """No usable local copy of CIFAR-10 (binary version) where one was named."""


def _batches_dir(root: Path) -> Path:
    """The folder holding the .bin files: `root` itself or the archive's `cifar-10-batches-bin`."""
    inner = root / "cifar-10-batches-bin"
    return inner if inner.is_dir() else root


def verify_cifar10(root: str | os.PathLike) -> Path:
    """Check that `root` holds the six CIFAR-10 binary files with their exact sizes; return their folder."""
    folder = _batches_dir(Path(root))
    problems = []
    for name, size in CIFAR10_FILES.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != size:
            # A size check catches truncated downloads and the python (pickle) version, whose files differ.
            problems.append(f"{name} has {path.stat().st_size} bytes, expected {size}")
    if problems:
        raise CifarNotFound(f"{folder} is not a CIFAR-10 binary-version folder: " + "; ".join(problems))
    return folder


def _read_bin(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N×32×32×3 uint8) and labels (int64) of one binary-version file."""
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, RECORD_BYTES)
    labels = raw[:, 0].astype(np.int64)
    images = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # stored channel-major
    return np.ascontiguousarray(images), labels


def load_cifar10(root: str | os.PathLike) -> Dataset:
    """Read CIFAR-10 (binary version, numpy only, no pickle) from a verified local folder."""
    folder = verify_cifar10(root)
    parts = [_read_bin(folder / f"data_batch_{i}.bin") for i in range(1, 6)]
    test_x, test_y = _read_bin(folder / "test_batch.bin")
    return Dataset(
        "cifar10",
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        test_x,
        test_y,
    )


def find_cifar10(explicit: str | os.PathLike | None = None) -> Path | None:
    """The CIFAR-10 folder named by `explicit` (an error if unusable) or by $HW7_CIFAR10_DIR; None if neither."""
    if explicit is not None:
        return verify_cifar10(explicit)
    from_env = os.environ.get(CIFAR10_ENV)
    if from_env:
        return verify_cifar10(from_env)
    return None


def load_dataset(cifar10: str | os.PathLike | None = None, *, synthetic_train: int = 2000, synthetic_test: int = 500, seed: int = 0) -> Dataset:
    """CIFAR-10 when a local copy is named (argument or $HW7_CIFAR10_DIR), else the synthetic set."""
    folder = find_cifar10(cifar10)
    if folder is not None:
        return load_cifar10(folder)
    return make_synthetic(synthetic_train, synthetic_test, seed)
