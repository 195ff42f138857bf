"""bench/bench_resnet_gpu.py: the CPU smoke run, and airbench kept out unless on CUDA."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
import torch

from reference.resnet import make_synthetic

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_resnet_gpu.py"


@pytest.fixture(scope="module")
def bench():
    """The benchmark script, imported as a module."""
    spec = importlib.util.spec_from_file_location("bench_resnet_gpu", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_quick_run_prints_the_reference_median(bench, capsys):
    assert bench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    assert "512 train / 256 test images; epochs=1; runs=1" in out
    assert "reference ResNet-9 (cpu): median" in out and "images/s" in out


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU fallback")
def test_airbench_is_not_imported_without_cuda(bench):
    reason = bench.measure_airbench(make_synthetic(20, 10), runs=1)
    assert reason == "airbench skipped: it runs on CUDA only"
    assert "airbench" not in sys.modules


def test_airbench_gets_the_same_images_in_the_files_its_loader_reads(bench, tmp_path, monkeypatch):
    """airbench reads cifar10/{train,test}.pt with torch.load (weights_only by default) and trains on int64 labels."""
    import os

    monkeypatch.chdir(tmp_path)
    data = make_synthetic(20, 10, seed=3)
    with bench._airbench_data(data):
        inside = Path(os.getcwd())
        train = torch.load("cifar10/train.pt", weights_only=True)
        test = torch.load("cifar10/test.pt", weights_only=True)
    assert Path(os.getcwd()) == tmp_path and not inside.exists()  # back where it was, the folder removed
    assert train["images"].dtype == torch.uint8 and tuple(train["images"].shape) == (20, 32, 32, 3)
    assert train["labels"].dtype == torch.int64  # cross-entropy on CUDA refuses other integer types
    assert torch.equal(train["images"], torch.from_numpy(data.train_x))
    assert torch.equal(test["labels"], torch.from_numpy(data.test_y)) and len(train["classes"]) == 10
