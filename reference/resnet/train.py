"""Reference trainer for ResNet-9 with the blog's final recipe (as far as it serves speed and accuracy).

Batch norm, label smoothing, a one-cycle (triangular) learning rate with Nesterov
SGD, random crop (reflect-padded) and horizontal flip, and flip test-time
augmentation. On a GPU the data and the augmentation stay on the device, the
forward pass runs under bf16 autocast and the network is channels-last. The same
code runs on the CPU (in float32) for tests.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from reference.resnet.data import Dataset, load_dataset
from reference.resnet.model import ResNet9


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of one training run (defaults: the blog's 10-epoch schedule)."""

    epochs: int = 10
    batch_size: int = 512
    width: int = 64
    lr: float = 0.4  # peak learning rate for the batch-mean loss
    peak_at: float = 0.2  # fraction of training at which the one-cycle schedule peaks
    momentum: float = 0.9
    weight_decay: float = 5e-4
    label_smoothing: float = 0.2
    crop_pad: int = 4
    tta: bool = True
    bn_momentum: float = 0.1
    seed: int = 0
    device: str = "auto"  # "auto" picks cuda when available
    bf16: bool | None = None  # bf16 autocast; None: on for cuda, off elsewhere (CPU bf16 convolutions are slow)
    channels_last: bool | None = None  # channels-last memory format; None: on for cuda, off elsewhere
    compile: bool = False  # torch.compile the network (cuda only; off by default, untested here)


# A configuration small enough for CI on two CPU cores (a couple of seconds on a few hundred images).
CPU_TINY = TrainConfig(epochs=3, batch_size=64, width=16, lr=0.2, bn_momentum=0.3, device="cpu")


@dataclass(frozen=True)
class TrainResult:
    """What a run produced: test predictions and its timings."""

    predictions: np.ndarray  # int64 class per test image
    train_s: float  # the training loop only (data already on the device)
    total_s: float  # upload + training + test-time prediction
    images_per_s: float  # training images processed per second of train_s
    device: str
    config: TrainConfig


def resolve_device(name: str) -> torch.device:
    """The torch device for a config's `device` field."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _sync(device: torch.device) -> None:
    """Wait for queued GPU work so wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def to_device_images(x: np.ndarray, mean: torch.Tensor, std: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 N×32×32×3 → normalised float N×3×32×32 on `device` (converted there, to upload 4× fewer bytes)."""
    t = torch.from_numpy(np.ascontiguousarray(x)).to(device, non_blocking=True)
    t = t.permute(0, 3, 1, 2).float().div_(255.0)
    return (t - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


def random_crop_flip(padded: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Random `size`×`size` crops of a padded batch, each flipped left-right with probability 1/2 (on its device)."""
    n, c, hp, wp = padded.shape
    dev = padded.device
    dy = torch.randint(0, hp - size + 1, (n,), device=dev, generator=generator)
    dx = torch.randint(0, wp - size + 1, (n,), device=dev, generator=generator)
    ar = torch.arange(size, device=dev)
    rows = (dy[:, None] + ar)[:, None, :, None]
    cols = (dx[:, None] + ar)[:, None, None, :]
    crops = padded[torch.arange(n, device=dev)[:, None, None, None], torch.arange(c, device=dev)[None, :, None, None], rows, cols]
    flip = torch.rand(n, device=dev, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], crops.flip(3), crops)


def one_cycle(step: int, total: int, peak_at: float) -> float:
    """Learning-rate multiplier: linear 0 → 1 until `peak_at` of training, then linear → 0."""
    peak = max(1, round(peak_at * total))
    if step <= peak:
        return step / peak
    return max(0.0, (total - step) / max(1, total - peak))


def _predict(model: nn.Module, x: torch.Tensor, tta: bool, batch: int, autocast) -> torch.Tensor:
    """Class predictions, averaging the logits of each image and its mirror image when `tta`."""
    model.eval()
    out = []
    with torch.no_grad(), autocast():
        for xb in x.split(batch):
            logits = model(xb).float()
            if tta:
                logits = logits + model(xb.flip(3)).float()
            out.append(logits.argmax(1))
    return torch.cat(out)


def train(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, config: TrainConfig = TrainConfig()) -> TrainResult:
    """Train ResNet-9 on (train_x, train_y) and predict test_x; images are uint8 N×32×32×3."""
    device = resolve_device(config.device)
    cuda = device.type == "cuda"
    torch.manual_seed(config.seed)
    if cuda:
        torch.backends.cudnn.benchmark = True
    gen = torch.Generator(device=device)
    gen.manual_seed(config.seed)
    # The GPU settings can be forced on the CPU too, so that tests exercise the GPU code path.
    use_bf16 = cuda if config.bf16 is None else config.bf16
    use_cl = cuda if config.channels_last is None else config.channels_last
    memory_format = torch.channels_last if use_cl else torch.contiguous_format

    def autocast():
        """bf16 autocast when enabled for this run; otherwise a context that changes nothing."""
        return torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16)

    model = ResNet9(config.width).to(device, memory_format=memory_format)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = config.bn_momentum
    net = torch.compile(model) if (cuda and config.compile) else model

    t0 = time.perf_counter()
    # Statistics from the training images themselves, so CIFAR-10 and the synthetic set share one code path.
    mean = torch.tensor(train_x.reshape(-1, 3).mean(0) / 255.0, dtype=torch.float32, device=device)
    std = torch.tensor(train_x.reshape(-1, 3).std(0) / 255.0, dtype=torch.float32, device=device).clamp_min(1e-3)
    x_train = to_device_images(train_x, mean, std, device)
    y_train = torch.from_numpy(np.asarray(train_y, dtype=np.int64)).to(device)
    x_test = to_device_images(test_x, mean, std, device).contiguous(memory_format=memory_format)
    p = config.crop_pad
    # Pad once, not per epoch: the crops are then plain index arithmetic on the device.
    padded = F.pad(x_train, (p, p, p, p), mode="reflect") if p else x_train
    _sync(device)

    n = len(x_train)
    bs = min(config.batch_size, n)
    steps_per_epoch = n // bs  # drop the last partial batch: tiny batches make batch-norm statistics noisy
    total_steps = steps_per_epoch * config.epochs
    opt = torch.optim.SGD(net.parameters(), lr=config.lr, momentum=config.momentum, nesterov=True,
                          weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: one_cycle(s, total_steps, config.peak_at))
    loss_fn = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)

    t1 = time.perf_counter()
    net.train()
    for _ in range(config.epochs):
        perm = torch.randperm(n, device=device, generator=gen)
        for i in range(steps_per_epoch):
            idx = perm[i * bs:(i + 1) * bs]
            xb = random_crop_flip(padded[idx], 32, gen).contiguous(memory_format=memory_format)
            with autocast():
                loss = loss_fn(net(xb), y_train[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    _sync(device)
    t2 = time.perf_counter()
    predictions = _predict(net, x_test, config.tta, 1024, autocast).cpu().numpy()
    t3 = time.perf_counter()
    train_s = t2 - t1
    return TrainResult(
        predictions=predictions.astype(np.int64),
        train_s=train_s,
        total_s=t3 - t0,
        images_per_s=(total_steps * bs) / train_s if train_s > 0 else float("inf"),
        device=str(device) if not cuda else torch.cuda.get_device_name(device),
        config=config,
    )


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of predictions equal to labels."""
    return float(np.mean(np.asarray(predictions) == np.asarray(labels)))


def train_dataset(data: Dataset, config: TrainConfig = TrainConfig()) -> tuple[TrainResult, float]:
    """Train on a Dataset; return the result and its test accuracy."""
    result = train(data.train_x, data.train_y, data.test_x, config)
    return result, accuracy(result.predictions, data.test_y)


def main(arguments: list[str] | None = None) -> int:
    """Command line: train once and print time and accuracy."""
    ap = argparse.ArgumentParser(description="Train the ResNet-9 reference (CIFAR-10 if found, else synthetic data).")
    ap.add_argument("--cifar10", metavar="DIR", help="CIFAR-10 binary-version folder (else $HW7_CIFAR10_DIR, else synthetic)")
    ap.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    ap.add_argument("--width", type=int, default=TrainConfig.width)
    ap.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--synthetic-train", type=int, default=2000)
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(arguments)
    data = load_dataset(args.cifar10, synthetic_train=args.synthetic_train, seed=args.seed)
    config = replace(TrainConfig(), epochs=args.epochs, width=args.width, batch_size=args.batch_size,
                     device=args.device, compile=args.compile, seed=args.seed)
    result, acc = train_dataset(data, config)
    print(f"data={data.name} n_train={len(data.train_x)} device={result.device}")
    print(f"train_s={result.train_s:.2f} total_s={result.total_s:.2f} images_per_s={result.images_per_s:.0f} accuracy={acc:.4f}")
    print({k: v for k, v in asdict(config).items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
