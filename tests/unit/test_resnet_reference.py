"""The ResNet-9 reference: CIFAR-10 reader, synthetic data, network, augmentation, schedule and a tiny CPU run."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from reference.resnet import data as rdata
from reference.resnet import CPU_TINY, ResNet9, accuracy, make_synthetic, train, train_dataset
from reference.resnet.train import main, one_cycle, random_crop_flip

RECORDS = 20  # per fake CIFAR file: the reader does not care how many


def write_fake_cifar(folder, monkeypatch, size_of=lambda name: RECORDS * rdata.RECORD_BYTES):
    """Six small files in the binary format; record i of file f has label (f + i) % 10 and planes R=f, G=i, B=7."""
    monkeypatch.setattr(rdata, "CIFAR10_FILES", {name: size_of(name) for name in rdata.CIFAR10_FILES})
    folder.mkdir(parents=True, exist_ok=True)
    for f, name in enumerate(rdata.CIFAR10_FILES):
        rec = np.zeros((RECORDS, rdata.RECORD_BYTES), dtype=np.uint8)
        rec[:, 0] = (f + np.arange(RECORDS)) % 10
        rec[:, 1:1025] = f
        rec[:, 1025:2049] = np.arange(RECORDS)[:, None]
        rec[:, 2049:] = 7
        rec.tofile(folder / name)


def test_cifar_reader_gives_hwc_uint8_in_file_order(tmp_path, monkeypatch):
    write_fake_cifar(tmp_path, monkeypatch)
    d = rdata.load_cifar10(tmp_path)
    assert d.train_x.shape == (5 * RECORDS, 32, 32, 3) and d.train_x.dtype == np.uint8
    assert d.test_x.shape == (RECORDS, 32, 32, 3) and d.train_y.dtype == np.int64
    assert (d.train_x[RECORDS + 3, :, :, 0] == 1).all()  # second file: red plane 1
    assert (d.train_x[RECORDS + 3, :, :, 1] == 3).all()  # record 3: green plane 3
    assert (d.train_x[:, :, :, 2] == 7).all()
    assert d.train_y[RECORDS + 3] == 4 and d.test_y[0] == 5  # test_batch is the sixth file


def test_cifar_reader_finds_the_archive_subfolder(tmp_path, monkeypatch):
    write_fake_cifar(tmp_path / "cifar-10-batches-bin", monkeypatch)
    assert rdata.verify_cifar10(tmp_path) == tmp_path / "cifar-10-batches-bin"


def test_cifar_reader_refuses_wrong_sizes_and_missing_files(tmp_path, monkeypatch):
    write_fake_cifar(tmp_path, monkeypatch)
    (tmp_path / "data_batch_3.bin").write_bytes(b"\0" * 100)
    (tmp_path / "test_batch.bin").unlink()
    with pytest.raises(rdata.CifarNotFound) as info:
        rdata.load_cifar10(tmp_path)
    assert "data_batch_3.bin has 100 bytes, expected 61460" in str(info.value)
    assert "test_batch.bin is missing" in str(info.value)


def test_the_real_file_sizes_are_those_of_the_binary_version():
    assert set(rdata.CIFAR10_FILES.values()) == {30_730_000}
    assert len(rdata.CIFAR10_FILES) == 6


def test_cifar_location_from_argument_then_setting(tmp_path, monkeypatch):
    monkeypatch.delenv(rdata.CIFAR10_ENV, raising=False)
    assert rdata.find_cifar10() is None
    assert rdata.load_dataset(synthetic_train=50, synthetic_test=20).name.startswith("synthetic")
    write_fake_cifar(tmp_path / "c", monkeypatch)
    monkeypatch.setenv(rdata.CIFAR10_ENV, str(tmp_path / "c"))
    assert rdata.find_cifar10() == tmp_path / "c"
    assert rdata.load_dataset().name == "cifar10"
    with pytest.raises(rdata.CifarNotFound):
        rdata.find_cifar10(tmp_path / "nowhere")  # a named folder that is wrong is an error, not a fallback


def test_synthetic_set_is_deterministic_balanced_and_flip_invariant():
    a, b, c = make_synthetic(200, 100, seed=5), make_synthetic(200, 100, seed=5), make_synthetic(200, 100, seed=6)
    assert np.array_equal(a.train_x, b.train_x) and np.array_equal(a.test_y, b.test_y)
    assert not np.array_equal(a.train_x, c.train_x)
    assert a.train_x.shape == (200, 32, 32, 3) and a.train_x.dtype == np.uint8 and a.train_y.dtype == np.int64
    assert np.bincount(a.train_y, minlength=10).tolist() == [20] * 10
    # Nearest class mean learns it, and still does on mirrored test images (the classes survive a flip).
    x = a.train_x.reshape(200, -1).astype(float)
    means = np.stack([x[a.train_y == k].mean(0) for k in range(10)])
    for test in (a.test_x, a.test_x[:, :, ::-1]):
        t = test.reshape(100, -1).astype(float)
        pred = ((t[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
        assert accuracy(pred, a.test_y) >= 0.9


def test_resnet9_shape_layers_and_size():
    net = ResNet9(width=8).eval()
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert len(convs) + len(linears) == 9  # the "9" of ResNet-9
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules()) == len(convs)
    w = 64  # the blog's widths 64-128-256-512: conv weights, batch-norm scale and shift, the head
    convs64 = 9 * (3 * w + w * 2 * w + 2 * (2 * w) ** 2 + 2 * w * 4 * w + 4 * w * 8 * w + 2 * (8 * w) ** 2)
    bns = 2 * (w + 2 * w * 3 + 4 * w + 8 * w * 3)
    assert sum(p.numel() for p in ResNet9(64).parameters()) == convs64 + bns + 8 * w * 10 == 6_573_120


def test_crops_are_windows_of_the_padded_image_or_their_mirror():
    padded = torch.arange(2 * 3 * 40 * 40, dtype=torch.float32).reshape(2, 3, 40, 40)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        out = random_crop_flip(padded, 32, gen)
        assert out.shape == (2, 3, 32, 32)
        for i in range(2):
            windows = [padded[i, :, y:y + 32, x:x + 32] for y in range(9) for x in range(9)]
            assert any(torch.equal(out[i], w) or torch.equal(out[i], w.flip(2)) for w in windows)


def test_one_cycle_rises_to_the_peak_and_falls_to_zero():
    total = 100
    values = [one_cycle(s, total, 0.2) for s in range(total + 1)]
    assert values[0] == 0 and values[20] == 1 and values[-1] == 0
    assert values.index(max(values)) == 20 and values[10] == pytest.approx(0.5) and values[60] == pytest.approx(0.5)


def test_a_tiny_cpu_run_learns_the_synthetic_set():
    d = make_synthetic(400, 200, seed=1)
    result, acc = train_dataset(d, CPU_TINY)
    assert acc >= 0.85
    assert result.predictions.shape == (200,) and result.predictions.dtype == np.int64
    assert 0 < result.train_s <= result.total_s and result.images_per_s > 0 and result.device == "cpu"


def test_the_gpu_code_path_runs_on_the_cpu():
    """bf16 autocast and channels-last, forced on: the same lines a GPU run takes, minus the device."""
    d = make_synthetic(128, 64, seed=2)
    config = replace(CPU_TINY, epochs=1, width=8, bf16=True, channels_last=True)
    result = train(d.train_x, d.train_y, d.test_x, config)
    assert result.predictions.shape == (64,) and set(result.predictions.tolist()) <= set(range(10))
    again = train(d.train_x, d.train_y, d.test_x, config)
    assert np.array_equal(again.predictions, result.predictions)  # seeded: the same run twice


def test_command_line_prints_time_and_accuracy(capsys, monkeypatch):
    monkeypatch.delenv(rdata.CIFAR10_ENV, raising=False)
    assert main(["--epochs", "1", "--width", "8", "--device", "cpu", "--synthetic-train", "128", "--batch-size", "64"]) == 0
    out = capsys.readouterr().out
    assert "data=synthetic(seed=0) n_train=128 device=cpu" in out and "accuracy=" in out
