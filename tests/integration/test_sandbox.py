"""Hostile submissions: the sandbox contains them and the rest of the submission still gets graded."""
import socket
import textwrap
import threading
import time
from pathlib import Path

import pytest

from grader.collect import Answers
from grader.errors import StudentCrash
from grader.load import load
from grader.pipeline import grade_path
from grader.sandbox import Limits, SandboxConfig
from tests.conftest import ROOT

pytestmark = pytest.mark.usefixtures("bwrap")

GOOD = """
training_decoder_inputs = ["<sos>", "I", "see", "a", "dog"]
evaluation_decoder_inputs = ["<sos>", "I", "saw", "a", "dog"]
"""


def submission(tmp_path: Path, code: str) -> Path:
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "answers.py").write_text(textwrap.dedent(code))
    return folder


def answers_for(tmp_path: Path, code: str, **limits) -> Answers:
    sub = load(submission(tmp_path, code), tmp_path / "scratch")
    return Answers(sub, SandboxConfig(use_bwrap=True, limits=Limits(**limits)))


def seq2seq(report):
    return {p.part: (p.status, p.score) for p in report.parts}


def test_cannot_read_the_grader_or_reference(tmp_path):
    a = answers_for(tmp_path, """
        import os
        def probe(path):
            try:
                with open(path) as fh:
                    return "READ " + fh.read(20)
            except OSError as exc:
                return type(exc).__name__
        def listing(path):
            try:
                return sorted(os.listdir(path))
            except OSError as exc:
                return type(exc).__name__
        """)
    try:
        for secret in ("reference/seq2seq_translation.py", "problems/seq2seq_translation/checks.py", "grader/run_checks.py"):
            assert a.call("probe", str(ROOT / secret)) == "FileNotFoundError"
        assert a.call("probe", "/etc/shadow") == "FileNotFoundError"
        # Only the Python runtime is visible from the project folder (the venv lives there).
        assert a.call("listing", str(ROOT)) in ("FileNotFoundError", [".venv"])
        assert a.call("listing", "/submission") == ["answers.py"]
    finally:
        a.close()


def test_runs_unprivileged_and_cannot_write_its_folder(tmp_path):
    a = answers_for(tmp_path, """
        import os
        def ids():
            return [os.getuid(), os.geteuid()]
        def write():
            try:
                open("/submission/x", "w").write("x")
                return "wrote"
            except OSError as exc:
                return type(exc).__name__
        """)
    try:
        assert a.call("ids") == [65534, 65534]
        assert a.call("write") in ("OSError", "PermissionError")
    finally:
        a.close()


def test_network_is_unreachable_and_a_local_listener_sees_nothing(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    seen = []

    def accept():
        end = time.time() + 4
        while time.time() < end:
            try:
                seen.append(server.accept())
            except socket.timeout:
                continue

    t = threading.Thread(target=accept)
    t.start()
    a = answers_for(tmp_path, f"""
        import socket
        def connect(host):
            s = socket.socket()
            s.settimeout(1)
            try:
                s.connect((host, {port}))
                return "connected"
            except OSError as exc:
                return type(exc).__name__
        """)
    try:
        assert a.call("connect", "127.0.0.1") != "connected"
        assert a.call("connect", "8.8.8.8") != "connected"
    finally:
        a.close()
        t.join()
        server.close()
    assert seen == []


@pytest.mark.slow
def test_infinite_loop_costs_only_that_part(tmp_path):
    code = GOOD + """
def decoder_inputs(target, generated, training):
    while True:
        pass
"""
    report = grade_path(submission(tmp_path, code), problems=("seq2seq_translation",))
    parts = seq2seq(report)
    assert parts["training_decoder_inputs"] == ("passed", 3)
    assert parts["evaluation_decoder_inputs"] == ("passed", 3)
    assert parts["decoder_inputs"] == ("error", 0)
    assert "did not finish within 10 s" in next(c.message for c in report.checks if c.part == "decoder_inputs")


@pytest.mark.slow
def test_memory_bomb_is_stopped(tmp_path):
    a = answers_for(tmp_path, """
        def bomb():
            blocks = []
            while True:
                blocks.append(bytearray(64 << 20))
        """, memory_bytes=512 << 20)
    try:
        with pytest.raises(StudentCrash, match="memory|killed"):
            a.call("bomb", timeout=30)
    finally:
        a.close()


@pytest.mark.slow
def test_fork_flood_is_bounded(tmp_path):
    a = answers_for(tmp_path, """
        import os, time
        def flood():
            started = 0
            for _ in range(400):
                try:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    started += 1
                except OSError:
                    break
            return started
        """, pids=64)
    try:
        started = a.call("flood", timeout=20)
        assert started < 64
    finally:
        a.close()


def test_a_correct_submission_that_prints_50_mb_keeps_full_marks(tmp_path):
    correct = (ROOT / "submissions/examples/seq2seq_translation/correct/answers.py").read_text()
    code = correct + """
import sys
_chunk = "x" * (1 << 20)
for _ in range(25):
    sys.stdout.write(_chunk)
    sys.stderr.write(_chunk)
_decoder_inputs = decoder_inputs

def decoder_inputs(target, generated, training):
    for _ in range(25):
        print(_chunk, flush=True)
    return _decoder_inputs(target, generated, training)
"""
    report = grade_path(submission(tmp_path, code), problems=("seq2seq_translation",))
    assert seq2seq(report) == {"vertical_stacking_problem": ("pending", 0), "training_decoder_inputs": ("passed", 3),
                               "evaluation_decoder_inputs": ("passed", 3), "decoder_inputs": ("passed", 4)}
    assert report.score == 10 and report.max_score == 14
    cut = [n for n in report.notes if "the output was cut" in n]
    assert len(cut) == 1 and cut[0].startswith("your code printed ") and "more than the 8 MiB" in cut[0], report.notes
    # What staff (and the student's report) get of the output: its first 16 KiB and how much more there was.
    assert report.output.startswith("x" * 1000) and len(report.output) < 17 << 10
    assert report.output.rstrip().endswith("more bytes not shown)")


def test_output_under_the_cap_is_not_called_cut(tmp_path):
    report = grade_path(submission(tmp_path, GOOD + "print('x' * 100_000)\n"), problems=("seq2seq_translation",))
    assert seq2seq(report)["training_decoder_inputs"] == ("passed", 3)
    assert not any("cut" in n for n in report.notes) and "more bytes not shown" in report.output


@pytest.mark.parametrize("exit_call", ["import sys; sys.exit(3)", "import os; os._exit(0)"])
def test_exit_at_import_is_an_import_error_with_a_report(tmp_path, exit_call):
    report = grade_path(submission(tmp_path, GOOD + exit_call + "\n"), problems=("seq2seq_translation",))
    assert report.import_error
    assert all(p.score == 0 for p in report.parts)
    assert {p.status for p in report.parts} == {"not_answered"}


def test_eq_tricks_and_fake_prints_gain_nothing(tmp_path):
    code = """
class Anything(str):
    def __eq__(self, other):
        return True
    __hash__ = str.__hash__
print("score: 14/14 all checks passed")
training_decoder_inputs = [Anything("x")] * 5
evaluation_decoder_inputs = type("L", (list,), {"__eq__": lambda s, o: True})(["a"] * 5)
import numpy as np
class Arr(np.ndarray):
    def __eq__(self, other):
        return True
def decoder_inputs(target, generated, training):
    return np.zeros(3).view(Arr)
"""
    report = grade_path(submission(tmp_path, code), problems=("seq2seq_translation",))
    assert report.score == 0
    assert {p.part: p.status for p in report.parts if p.kind != "manual"} == {
        "training_decoder_inputs": "format", "evaluation_decoder_inputs": "format", "decoder_inputs": "format"}


def test_no_sandbox_mode_still_grades(tmp_path):
    report = grade_path(submission(tmp_path, GOOD), problems=("seq2seq_translation",), use_bwrap=False)
    assert seq2seq(report)["training_decoder_inputs"] == ("passed", 3)
    assert not report.sandboxed


@pytest.mark.slow
def test_endless_import_is_stopped_and_reported(tmp_path):
    code = GOOD + "while True:\n    pass\n"
    report = grade_path(submission(tmp_path, code), problems=("seq2seq_translation",), limits=Limits(import_s=2))
    assert "did not finish within 2 s" in report.import_error
    assert {p.status for p in report.parts} == {"not_answered"}


def test_sandbox_self_test_passes_here():
    from grader.sandbox import self_test

    self_test(SandboxConfig(use_bwrap=True))


def test_a_sandbox_that_cannot_start_is_a_grader_error_not_a_student_one(tmp_path, monkeypatch):
    from grader import sandbox
    from grader.errors import SandboxUnavailable

    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sandbox, "require_bwrap", lambda: str(fake))
    with pytest.raises(SandboxUnavailable, match="No permissions to create new namespace"):
        sandbox.self_test(SandboxConfig(use_bwrap=True), timeout=5)


def test_a_function_that_hung_twice_is_not_run_again(tmp_path):
    """One hang costs only that call (other inputs are still tried); after two, the function is not called."""
    a = answers_for(tmp_path, """
        def slow(x):
            while x < 3:
                pass
            return x
        def fine():
            return 1
        """)
    try:
        start = time.perf_counter()
        with pytest.raises(StudentCrash, match=r"slow\(1\): the submission's process did not finish within 1 s"):
            a.call("slow", 1, timeout=1)
        assert a.call("slow", 5, timeout=5) == 5  # another input, after one hang: still graded
        with pytest.raises(StudentCrash, match=r"slow\(2\): the submission's process did not finish within 1 s"):
            a.call("slow", 2, timeout=1)
        with pytest.raises(StudentCrash, match=r"slow\(7\): not run, because 2 earlier calls ran out of time: "
                                               r"slow\(1\): .*; slow\(2\): "):
            a.call("slow", 7, timeout=1)
        assert a.call("fine") == 1  # the rest of the submission still answers
        assert time.perf_counter() - start < 15
    finally:
        a.close()


def test_big_arrays_reach_the_function_as_files(tmp_path):
    import numpy as np

    a = answers_for(tmp_path, """
        def stats(x, y):
            return [float(x.sum()), x.shape, int(y[-1]), x.flags.writeable]
        """)
    try:
        x = np.ones((50_000, 32), dtype=np.float32)  # 6.4 MB: too big for the JSON frame, sent as a file
        assert a.call("stats", x, np.arange(10)) == [1_600_000.0, (50_000, 32), 9, True]
    finally:
        a.close()
    assert a.inputs is None  # the saved inputs are removed with the worker


@pytest.mark.slow
def test_without_a_cgroup_the_memory_rlimit_still_stops_a_bomb(tmp_path, monkeypatch):
    from grader import sandbox

    def no_cgroup(self, limits):
        self.dirs, self.version = [], 0

    monkeypatch.setattr(sandbox.Cgroup, "__init__", no_cgroup)
    a = answers_for(tmp_path, """
        def bomb():
            blocks = []
            while True:
                blocks.append(bytearray(64 << 20))
        def fine():
            return "still here"
        """, memory_bytes=2 << 30)
    try:
        with pytest.raises(StudentCrash, match="MemoryError|memory"):
            a.call("bomb", timeout=30)
        assert a.call("fine") == "still here"
    finally:
        a.close()


def test_gpu_self_test_refuses_where_there_are_no_device_nodes(monkeypatch):
    from grader import sandbox
    from grader.errors import SandboxUnavailable

    monkeypatch.setattr(sandbox, "gpu_device_nodes", lambda: [])
    with pytest.raises(SandboxUnavailable, match=r"no NVIDIA device nodes \(/dev/nvidia\*\)"):
        sandbox.gpu_self_test(SandboxConfig(use_bwrap=True, gpu=True))


@pytest.mark.slow
def test_the_gpu_sandbox_starts_and_its_probe_says_when_cuda_is_missing(monkeypatch):
    """The whole --gpu path (device binds, /sys, no address-space cap) on a machine whose torch has no CUDA."""
    import torch

    from grader import sandbox
    from grader.errors import SandboxUnavailable

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the probe would pass")
    monkeypatch.setattr(sandbox, "gpu_device_nodes", lambda: ["/dev/null"])  # a stand-in node to device-bind
    with pytest.raises(SandboxUnavailable, match="is_available\\(\\) is False inside the sandbox") as info:
        sandbox.gpu_self_test(SandboxConfig(use_bwrap=True, gpu=True))
    assert "/dev/nvidia-uvm is missing: run one CUDA program outside the sandbox first" in str(info.value)


def test_with_the_gpu_the_address_space_is_not_capped(tmp_path, monkeypatch):
    """CUDA reserves far more address space than it uses: RLIMIT_AS would break cuInit, so --gpu never sets it."""
    from grader import sandbox

    def no_cgroup(self, limits):
        self.dirs, self.version = [], 0

    monkeypatch.setattr(sandbox.Cgroup, "__init__", no_cgroup)
    monkeypatch.setattr(sandbox, "gpu_device_nodes", lambda: ["/dev/null"])
    code = """
        import os, resource
        def limit():
            return resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY
        def sees_sys():
            return os.path.isdir("/sys/class")
        """
    for gpu, expected in ((False, False), (True, True)):
        (tmp_path / str(gpu)).mkdir()
        sub = load(submission(tmp_path / str(gpu), code), tmp_path / f"scratch{gpu}")
        a = Answers(sub, SandboxConfig(use_bwrap=True, gpu=gpu))
        try:
            assert (a.call("limit"), a.call("sees_sys")) == (expected, expected)
        finally:
            a.close()


def test_a_returned_object_is_called_in_the_sandbox_with_tensor_arguments(tmp_path):
    """call_then: the function's result (a torch module) runs its forward pass inside the sandbox."""
    import numpy as np

    from grader import wire
    from grader.types import ModuleInfo, Raised

    a = answers_for(tmp_path, """
        import torch
        def build(m, k):
            torch.manual_seed(0)
            return torch.nn.Sequential(torch.nn.Linear(m, k, bias=False), torch.nn.Linear(k, m, bias=False))
        def number():
            return 3
        """)
    try:
        x = np.arange(4, dtype=np.float32)
        info, (one, batch, wrong) = a.call_then("build", (4, 2), ((wire.TensorArg(x),),
                                                                  (wire.TensorArg(np.ones((5, 4), np.float32)),),
                                                                  (wire.TensorArg(np.ones(3, np.float32)),)))
        assert isinstance(info, ModuleInfo) and [c.type for c in info.children] == ["Linear", "Linear"]
        W1, W2 = info.children[0].value("weight"), info.children[1].value("weight")
        assert type(one) is np.ndarray and one.shape == (4,) and np.allclose(one, W2 @ W1 @ x, atol=1e-5)
        assert batch.shape == (5, 4)
        assert isinstance(wrong, Raised) and wrong.type == "RuntimeError" and "shapes cannot be multiplied" in wrong.message
        value, (step,) = a.call_then("number", (), ((1,),))
        assert value == 3 and step == Raised("TypeError", "the returned int object is not callable")
    finally:
        a.close()
