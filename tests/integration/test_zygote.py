"""The zygote's children: as confined as a fresh sandbox, and nothing of one submission visible to another.

The hostile submissions of test_sandbox.py run against zygote children too (its
`worker_kind` fixture); these tests are about what only forking can get wrong:
what one child leaves behind, what a live sibling exposes, limits per child, and
the zygote itself surviving its children.
"""
import os
import textwrap
import time
from pathlib import Path

import pytest

from grader.collect import Answers
from grader.errors import SandboxUnavailable, StudentCrash
from grader.load import load
from grader.sandbox import GiB, Limits, SandboxConfig, system_layout

pytestmark = pytest.mark.usefixtures("bwrap")


@pytest.fixture(scope="module")
def launcher():
    """One zygote for the module, as one grading process has; fails at once, saying why, if it cannot start."""
    from grader.zygote import ZygoteLauncher

    with ZygoteLauncher(SandboxConfig(use_bwrap=True)) as z:
        try:
            z.zygote.wait_ready()
        except SandboxUnavailable as exc:
            # Without it every worker would be a fresh bubblewrap process, and the isolation tests below would
            # fail on details of that fallback (pids repeat across namespaces) instead of saying this.
            pytest.fail(f"the zygote did not start, so these tests cannot see its children: {exc}")
        yield z
    assert z.broken is None and not z.failures, z.failures  # every worker here was a zygote child


@pytest.fixture(autouse=True)
def workers_came_from_the_zygote(request):
    """After each test on the shared zygote: every worker it asked for was a zygote child, not the fallback."""
    yield
    if "launcher" in request.fixturenames:
        z = request.getfixturevalue("launcher")
        assert z.broken is None and not z.failures, (
            f"a worker was a fresh bubblewrap process, not a zygote child: {z.broken or z.failures[0]}")


def answers(launcher, tmp_path: Path, code: str, name: str = "student", files: dict | None = None, **limits) -> Answers:
    """A student's answers with `code` as answers.py (and `files` beside it), workers from `launcher`."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "answers.py").write_text(textwrap.dedent(code))
    for fname, text in (files or {}).items():
        (folder / fname).write_text(text)
    sub = load(folder, tmp_path / f"scratch-{name}")
    return Answers(sub, SandboxConfig(use_bwrap=True, limits=Limits(**limits)), launcher)


# A checkout under /tmp (a CI clone, say) has its runtime bound read-only inside each child's private /tmp,
# as bubblewrap binds it after its --tmpfs /tmp: those folders are the machine's Python, not a sibling's files.
RUNTIME_IN_TMP = sorted({Path(entry[1]).parts[2] for entry in system_layout()
                         if entry[0] == "dir" and entry[1].startswith("/tmp/")})


LOOK = """
import os
def look():
    return {"tmp": sorted(os.listdir("/tmp")), "shm": sorted(os.listdir("/dev/shm")),
            "submission": sorted(os.listdir("/submission")), "inputs": sorted(os.listdir("/grader-inputs")),
            "root": sorted(os.listdir("/")), "proc": sorted(os.listdir("/proc"))}
"""


def expected_root() -> list[str]:
    """The top-level names of a child's root: the system's read-only folders and the child's own ones."""
    names = {entry[1].strip("/").split("/")[0] for entry in system_layout()}
    return sorted(names | {"dev", "tmp", "proc", "submission", "grader-inputs", "opt"})


def test_a_submission_sees_nothing_of_another_live_or_finished(launcher, tmp_path):
    a = answers(launcher, tmp_path, LOOK + """
def leave():
    for path in ("/tmp/a-secret", "/dev/shm/a-secret"):
        with open(path, "w") as fh:
            fh.write("student a was here")
    return look()
""", name="a", files={"a_private.txt": "a's notes"})
    b = answers(launcher, tmp_path, LOOK, name="b")
    try:
        seen_by_a = a.call("leave")
        assert seen_by_a["tmp"] == sorted(["a-secret", *RUNTIME_IN_TMP]) and "a_private.txt" in seen_by_a["submission"]
        seen_by_b = b.call("look")  # a is still running
        assert seen_by_b == {"tmp": RUNTIME_IN_TMP, "shm": [], "submission": ["answers.py"], "inputs": [],
                             "root": expected_root(), "proc": []}
    finally:
        a.close()
        b.close()
    c = answers(launcher, tmp_path, LOOK, name="c")  # after a has finished
    try:
        assert c.call("look") == seen_by_b
    finally:
        c.close()


def test_a_live_sibling_cannot_be_seen_signalled_or_traced(launcher, tmp_path):
    a = answers(launcher, tmp_path, """
import os
def alive():
    return os.getpid()
""", name="a")
    b = answers(launcher, tmp_path, """
import ctypes, errno, os, signal
def visible(upto):
    found = []
    for pid in range(1, upto):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        found.append(pid)
    return found
def attack(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    out = []
    try:
        os.kill(pid, signal.SIGKILL)
        out.append("killed")
    except OSError as exc:
        out.append(errno.errorcode[exc.errno])
    rc = libc.ptrace(16, pid, None, None)  # PTRACE_ATTACH
    out.append("attached" if rc == 0 else errno.errorcode[ctypes.get_errno()])
    return out
""", name="b")
    try:
        assert a.call("alive") == 2  # pid 2 of its own namespace, as b is of its own
        assert b.call("visible", 4096) == [1, 2]  # its init and itself: no other submission's process
        host_pid = a.worker.proc.pid  # a's init, in the grader's pid namespace
        assert b.call("attack", host_pid) == ["ESRCH", "ESRCH"]
        assert b.call("attack", 1) == ["killed", "EPERM"]  # its own init: ignores the signal, cannot be traced
        assert a.call("alive") == 2  # a never noticed
        assert b.call("visible", 16) == [1, 2]
    finally:
        a.close()
        b.close()


def test_no_privilege_is_left(launcher, tmp_path):
    a = answers(launcher, tmp_path, """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def privileges():
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]
    data = (ctypes.c_uint32 * 6)()
    libc.capget(ctypes.byref(Header(0x20080522, 0)), data)
    out = {"caps": list(data), "uid": [os.getuid(), os.geteuid(), os.getgid()],
           "no_new_privs": libc.prctl(39, 0, 0, 0, 0)}
    for what, fn in (("mkdir", lambda: os.mkdir("/x")), ("mount", lambda: _mount()),
                     ("write_usr", lambda: open("/usr/x", "w"))):
        try:
            fn()
            out[what] = "allowed"
        except OSError as exc:
            out[what] = type(exc).__name__
    return out
def _mount():
    if libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, None) != 0:
        raise OSError(ctypes.get_errno(), "mount")
""")
    try:
        got = a.call("privileges")
    finally:
        a.close()
    assert got["caps"] == [0] * 6
    assert got["uid"] == [65534, 65534, 65534] and got["no_new_privs"] == 1
    assert got["mkdir"] == "OSError" and got["mount"] in ("PermissionError", "OSError")  # EROFS, EPERM
    assert got["write_usr"] in ("OSError", "PermissionError")


def test_each_child_has_its_own_limits(launcher, tmp_path):
    bomb = """
def allocate(mib):
    blocks = [bytearray(1 << 20) for _ in range(mib)]
    return len(blocks)
def spin():
    while True:
        pass
"""
    small = answers(launcher, tmp_path, bomb, name="small", memory_bytes=256 << 20, cpu_s=1)
    big = answers(launcher, tmp_path, bomb, name="big", memory_bytes=2 * GiB)
    try:
        with pytest.raises(StudentCrash, match="memory|killed"):
            small.call("allocate", 400, timeout=30)
        assert big.call("allocate", 400, timeout=30) == 400  # the next child is not under the first one's cap
        with pytest.raises(StudentCrash, match="more than 1 s of CPU time"):
            small.call("spin", timeout=30)  # the CPU rlimit, counted from the child's own start
        start = time.perf_counter()
        with pytest.raises(StudentCrash, match="did not finish within 1 s"):
            big.call("spin", timeout=1)  # wall time
        assert time.perf_counter() - start < 10
    finally:
        small.close()
        big.close()


def test_the_zygote_outlives_children_that_crash_hang_or_attack_it(launcher, tmp_path):
    zygote_pid = launcher.zygote.proc.pid
    a = answers(launcher, tmp_path, """
import ctypes, os, signal
def abort():
    os.abort()
def segfault():
    ctypes.string_at(0)
def hang():
    while True:
        pass
def at_parents():
    for pid in (1, os.getppid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return "alive"
def fine():
    return 42
""")
    try:
        assert a.call("at_parents") == "alive"
        assert a.call("fine") == 42
        with pytest.raises(StudentCrash, match="SIGABRT"):
            a.call("abort")
        with pytest.raises(StudentCrash, match="SIGSEGV"):
            a.call("segfault")  # in a restarted child (each crash costs one restart)
        with pytest.raises(StudentCrash, match="did not finish within 1 s"):
            a.call("hang", timeout=1)
    finally:
        a.close()
    assert launcher.zygote.alive and launcher.zygote.proc.pid == zygote_pid and launcher.replaced == 0
    b = answers(launcher, tmp_path, "def fine():\n    return 7\n", name="next")
    try:
        assert b.call("fine") == 7
    finally:
        b.close()


def test_a_fresh_process_rng_in_every_child(launcher, tmp_path):
    code = """
import random
import numpy as np
def draws():
    return [float(np.random.rand()), random.random()]
"""
    first, second = answers(launcher, tmp_path, code, name="one"), answers(launcher, tmp_path, code, name="two")
    try:
        a, b = first.call("draws"), second.call("draws")
    finally:
        first.close()
        second.close()
    assert a[0] != b[0] and a[1] != b[1]  # not the zygote's generator state copied into every child


def test_torch_is_preloaded_and_starts_like_a_fresh_process(tmp_path):
    pytest.importorskip("torch")
    from grader.zygote import ZygoteLauncher

    code = """
import sys, torch
def state():
    layer = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    layer(torch.ones(1, 2)).sum().backward()
    opt.step()
    return [torch.initial_seed(), "torch._dynamo" in sys.modules, torch.get_num_threads()]
"""
    with ZygoteLauncher(SandboxConfig(use_bwrap=True), preload=("numpy", "torch")) as z:
        assert z.zygote.wait_ready()["preloaded"] == ["numpy", "torch"]
        got = []
        for name in ("one", "two"):
            a = answers(z, tmp_path, code, name=name)
            try:
                got.append(a.call("state", timeout=60))
            finally:
                a.close()
    # A seed of its own as in a fresh process (not the zygote's), dynamo already imported, one thread.
    (seed1, dynamo, threads), (seed2, _, _) = got
    assert seed1 != seed2 and dynamo and threads == 1


def test_a_dead_zygote_is_replaced(tmp_path):
    from grader.zygote import ZygoteLauncher

    with ZygoteLauncher(SandboxConfig(use_bwrap=True)) as z:
        z.zygote.wait_ready()
        z.zygote.kill()
        a = answers(z, tmp_path, "x = 5\n")
        try:
            assert a.value("x") == 5
        finally:
            a.close()
        assert z.replaced == 1 and z.zygote.alive and z.broken is None


def test_where_the_zygote_cannot_start_workers_are_fresh_processes(tmp_path, monkeypatch):
    from grader import zygote

    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(zygote, "require_bwrap", lambda: str(fake))  # only the zygote's bwrap fails
    with zygote.ZygoteLauncher(SandboxConfig(use_bwrap=True)) as z:
        a = answers(z, tmp_path, "x = 5\n")
        try:
            assert a.value("x") == 5  # graded in a fresh bubblewrap worker
            assert type(a.worker).__name__ == "Worker"
        finally:
            a.close()
    assert "setting up uid map: Permission denied" in z.broken


def test_with_the_gpu_settings_the_child_gets_the_nodes_and_sys_but_no_address_space_cap(tmp_path, monkeypatch):
    from grader import sandbox, zygote

    def no_cgroup(self, limits):
        self.dirs, self.version = [], 0

    monkeypatch.setattr(sandbox.Cgroup, "__init__", no_cgroup)
    for module in (sandbox, zygote):
        monkeypatch.setattr(module, "gpu_device_nodes", lambda: ["/dev/null"])  # a stand-in node to device-bind
    code = """
import os, resource
def seen():
    return [resource.getrlimit(resource.RLIMIT_AS)[0], os.path.isdir("/sys") and bool(os.listdir("/sys")),
            os.path.exists("/dev/null")]
"""
    with zygote.ZygoteLauncher(SandboxConfig(use_bwrap=True, gpu=True)) as z:
        folder = tmp_path / "gpu"
        folder.mkdir()
        (folder / "answers.py").write_text(code)
        a = Answers(load(folder, tmp_path / "s1"), SandboxConfig(use_bwrap=True, gpu=True), z)
        try:
            assert a.call("seen") == [-1, True, True]  # RLIM_INFINITY
        finally:
            a.close()
        assert z.broken is None and not z.failures
    with zygote.ZygoteLauncher(SandboxConfig(use_bwrap=True)) as z:
        a = answers(z, tmp_path, code, name="cpu", memory_bytes=3 * GiB)
        try:
            assert a.call("seen") == [3 * GiB, False, True]  # without a cgroup, memory is the address space
        finally:
            a.close()


def test_closing_the_launcher_stops_the_zygote_and_removes_every_staged_file(tmp_path):
    from grader.zygote import ZygoteLauncher

    z = ZygoteLauncher(SandboxConfig(use_bwrap=True))
    a = answers(z, tmp_path, "x = 1\n")
    assert a.value("x") == 1
    staging = z.staging
    assert len(list(staging.iterdir())) == 1
    a.close()
    assert list(staging.iterdir()) == []  # a submission's copy goes when it is done
    pid = z.zygote.proc.pid
    z.close()
    assert not staging.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_grading_session_keeps_one_zygote_and_one_claim_session(tmp_path):
    from grader.pipeline import GradingSession, RunConfig, load_problems
    from grader.zygote import ZygoteLauncher
    from tests.conftest import EXAMPLES

    problems = load_problems(("seq2seq_translation",))
    config = RunConfig("grade", ("seq2seq_translation",), SandboxConfig(use_bwrap=True), "s")
    plain = RunConfig("grade", ("seq2seq_translation",), SandboxConfig(use_bwrap=False), "s")
    with GradingSession() as session:
        reports = [session.grade(EXAMPLES / "seq2seq_translation" / name, problems, config)
                   for name in ("correct", "tokens_swapped", "correct")]
        launcher = session.launcher(config.sandbox, problems)
        claims = session.claims(problems, True)
        assert isinstance(launcher, ZygoteLauncher) and launcher.spawned == 3 and launcher.replaced == 0
        assert session.claims(load_problems(("seq2seq_translation",)), True) is claims  # equal problems: the same
        assert type(session.launcher(plain.sandbox, problems)).__name__ == "ProcessLauncher"  # no sandbox: fresh
        gpu = SandboxConfig(use_bwrap=True, gpu=True)
        assert type(session.launcher(gpu, problems)).__name__ == "ProcessLauncher"  # --gpu: fresh, with /proc
        assert session.grade(EXAMPLES / "seq2seq_translation" / "correct", problems, plain).score == reports[0].score
        claims.broken = True  # pytest itself failed in a run: the next submission gets a new session
        assert session.claims(problems, True) is not claims
    assert [r.score for r in reports] == [reports[0].score, reports[1].score, reports[0].score]
    assert reports[0].score > reports[1].score
    assert not launcher.zygote.alive and not launcher.staging.exists()


def test_grader_check_starts_the_zygote_first_and_only_when_it_is_sandboxed(tmp_path, capsys, monkeypatch):
    from grader import entry, zygote
    from tests.conftest import EXAMPLES

    assert entry.early_zygote(["grade", "x", "--out", "y"]) is None
    assert entry.early_zygote(["check", "x", "--no-sandbox"]) is None
    assert entry.early_zygote(["check", "x", "--problem", "no_such_problem"]) is None  # grader.cli says why
    problems, launcher = entry.early_zygote(["check", "x", "--problem", "seq2seq_translation"])
    try:
        assert [p.name for p in problems] == ["seq2seq_translation"] and launcher.preload == ("numpy",)
    finally:
        launcher.close()
    problems, launcher = entry.early_zygote(["check", "x", "--problem", "regularized_autoencoder"])
    launcher.close()
    assert launcher.preload == ("numpy", "torch")
    started = []
    real_init = zygote.Zygote.__init__

    def counted(self, *args, **kwargs):
        started.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(zygote.Zygote, "__init__", counted)
    code = entry.main(["check", str(EXAMPLES / "seq2seq_translation" / "correct"), "--problem", "seq2seq_translation"])
    assert code == 0 and "Public checks passed" in capsys.readouterr().out
    assert len(started) == 1 and not started[0].alive  # the early zygote served the check, and was stopped
