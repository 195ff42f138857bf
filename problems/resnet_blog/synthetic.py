"""A synthetic CIFAR-like data set, for the speed run on a CPU (and the reference trainer's tests); no answer in it.

Images are uint8 arrays of shape (N, 32, 32, 3) (height, width, channel: the layout of
torchvision's `CIFAR10.data`) with int64 labels in 0..9. It is generated, never downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUM_CLASSES = 10


@dataclass(frozen=True)
class Dataset:
    """Train and test images (uint8, N×32×32×3) with their labels (int64)."""

    name: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def _smooth_templates(rng: np.random.Generator, num_classes: int) -> np.ndarray:
    """One smooth, left-right symmetric 32×32×3 pattern per class, roughly unit variance."""
    coarse = rng.standard_normal((num_classes, 8, 8, 3))
    fine = coarse.repeat(4, axis=1).repeat(4, axis=2)  # 8×8 blocks up to 32×32
    # A 5×5 box blur (with wrap-around) turns the blocks into smooth blobs, like natural image statistics.
    blurred = sum(np.roll(np.roll(fine, dy, axis=1), dx, axis=2) for dy in range(-2, 3) for dx in range(-2, 3)) / 25.0
    # Symmetric patterns keep the class under a horizontal flip, so flip augmentation stays label-preserving.
    symmetric = 0.5 * (blurred + blurred[:, :, ::-1, :])
    return symmetric / symmetric.std(axis=(1, 2, 3), keepdims=True)


def make_synthetic(n_train: int = 2000, n_test: int = 500, seed: int = 0, *, noise: float = 0.6, max_shift: int = 3) -> Dataset:
    """A deterministic CIFAR-like set: 10 learnable classes of 32×32×3 uint8 images, from `seed`.

    Each image is its class template shifted by up to `max_shift` pixels, with random
    contrast, a random colour cast and pixel noise of standard deviation `noise`
    (in template units). Classes are balanced.
    """
    rng = np.random.default_rng(seed)
    templates = _smooth_templates(rng, NUM_CLASSES)

    def sample(n: int) -> tuple[np.ndarray, np.ndarray]:
        """n balanced, shuffled images and their labels, drawn from the shared generator."""
        labels = np.arange(n, dtype=np.int64) % NUM_CLASSES
        rng.shuffle(labels)
        shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
        contrast = rng.uniform(0.7, 1.3, size=(n, 1, 1, 1))
        cast = rng.normal(0.0, 0.3, size=(n, 1, 1, 3))
        images = np.empty((n, 32, 32, 3))
        for i in range(n):  # np.roll has no batched form; n is small, so the loop is cheap
            images[i] = np.roll(templates[labels[i]], tuple(shifts[i]), axis=(0, 1))
        images = contrast * images + cast + noise * rng.standard_normal(images.shape)
        return np.clip(128 + 40 * images, 0, 255).astype(np.uint8), labels

    train_x, train_y = sample(n_train)
    test_x, test_y = sample(n_test)
    return Dataset(f"synthetic(seed={seed})", train_x, train_y, test_x, test_y)
