"""The bubblewrap command line: what the worker can see, with and without the GPU (no process is started)."""
from pathlib import Path

import pytest

from grader import sandbox
from grader.sandbox import SandboxConfig, bwrap_command


def pairs(cmd: list[str], flag: str) -> list[tuple[str, str]]:
    """The (source, destination) pairs given to `flag` in a bwrap command."""
    return [(cmd[i + 1], cmd[i + 2]) for i, a in enumerate(cmd) if a == flag]


@pytest.fixture
def fake_gpu(monkeypatch):
    nodes = ["/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"]
    monkeypatch.setattr(sandbox, "gpu_device_nodes", lambda: nodes)
    return nodes


def test_without_gpu_no_device_nodes_and_no_sys(tmp_path, fake_gpu):
    cmd = bwrap_command("/usr/bin/bwrap", tmp_path, SandboxConfig(), (3, 4))
    assert not pairs(cmd, "--dev-bind")
    assert all(dst != "/sys" for _, dst in pairs(cmd, "--ro-bind") + pairs(cmd, "--bind"))
    assert "--unshare-all" in cmd and cmd[cmd.index("--uid") + 1] == "65534"


def test_with_gpu_the_nodes_are_device_bound_after_dev_and_sys_is_read_only(tmp_path, fake_gpu):
    cmd = bwrap_command("/usr/bin/bwrap", tmp_path, SandboxConfig(gpu=True), (3, 4))
    assert pairs(cmd, "--dev-bind") == [(n, n) for n in fake_gpu]
    # Binds after `--dev /dev` land on its tmpfs; before it they would be hidden by it.
    assert cmd.index("--dev-bind") > cmd.index("--dev")
    assert ("/sys", "/sys") in pairs(cmd, "--ro-bind") and ("/sys", "/sys") not in pairs(cmd, "--bind")
    assert cmd.index("--") > max(i for i, a in enumerate(cmd) if a in ("--dev-bind", "--ro-bind"))


def test_the_submission_and_inputs_are_read_only(tmp_path):
    inputs = tmp_path / "in"
    cmd = bwrap_command("/usr/bin/bwrap", tmp_path, SandboxConfig(), (3, 4), inputs)
    ro = pairs(cmd, "--ro-bind")
    assert (str(Path(tmp_path).resolve()), sandbox.SUBMISSION_IN_SANDBOX) in ro
    assert (str(inputs), sandbox.INPUTS_IN_SANDBOX) in ro
    assert not pairs(cmd, "--bind")


def test_the_worker_gets_the_drivers_library_path_only_with_the_gpu(monkeypatch):
    """GPU containers often find libcuda through LD_LIBRARY_PATH; without the GPU nothing of the grader's passes."""
    monkeypatch.setenv("LD_LIBRARY_PATH", "/usr/local/nvidia/lib64")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("HW7_GRADER_SECRET", "never inside")
    plain, gpu = sandbox.worker_env(), sandbox.worker_env(gpu=True)
    assert "LD_LIBRARY_PATH" not in plain and "CUDA_VISIBLE_DEVICES" not in plain
    assert gpu["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64" and gpu["CUDA_VISIBLE_DEVICES"] == "0"
    assert "HW7_GRADER_SECRET" not in plain and "HW7_GRADER_SECRET" not in gpu
    assert set(gpu) - set(plain) == {"LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES"}
