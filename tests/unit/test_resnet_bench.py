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
