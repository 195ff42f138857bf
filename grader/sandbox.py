"""Stage 2's machinery: a confined worker process for one submission.

Under bubblewrap the worker runs as an unprivileged uid with no capabilities,
no network (all namespaces unshared), a read-only system, a private /tmp, and
only the Python runtime, the worker's two files and the submission visible.
Limits: wall time per request (enforced here), CPU time (RLIMIT_CPU), memory
and process count (a cgroup where the host lets us make one, else RLIMIT_AS).
Output is not a limit: it is drained as it comes, the first part kept and the
rest discarded, so a submission that prints a lot is still graded.
"""
from __future__ import annotations

import glob
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

from grader import wire
from grader.errors import SandboxUnavailable

WORKER_FILES = (Path(__file__).with_name("sandbox_worker.py"), Path(__file__).with_name("wire.py"))
WORKER_DIR_IN_SANDBOX = "/opt/hw7-worker"
SUBMISSION_IN_SANDBOX = "/submission"
INPUTS_IN_SANDBOX = "/grader-inputs"  # big arguments, saved as .npy by the grader (read-only inside)
NOBODY = 65534
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's worker."""

    import_s: float = 60.0  # wall time to import the submission (torch takes a few seconds)
    cpu_s: int = 600  # CPU seconds over the worker's whole life
    memory_bytes: int = 4 * GiB
    pids: int = 256  # threads count too: torch starts a pool
    output_bytes: int = 8 << 20  # printing past this is noted in the report as cut (never stopped for it)
    output_keep: int = 16 << 10  # what of the output the report keeps
    reply_bytes: int = 256 << 20
    tmp_bytes: int = 256 << 20


@dataclass(frozen=True)
class SandboxConfig:
    """How to confine workers: with bubblewrap, or (warned about) as a plain subprocess."""

    use_bwrap: bool = True
    limits: Limits = Limits()
    gpu: bool = False  # pass the GPU's device nodes in (for timed training parts)


@dataclass(frozen=True)
class Staged:
    """Where one submission's workers find its files: its folder, the folder of big arguments, and a staging token."""

    folder: Path
    inputs: Path
    token: str = ""


def bwrap_path() -> str | None:
    """Where bubblewrap is, or None."""
    return shutil.which("bwrap")


def require_bwrap() -> str:
    """The bwrap path, or SandboxUnavailable saying how to install it."""
    path = bwrap_path()
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be confined. "
            "Install it with `sudo apt-get install bubblewrap` (or `make install` as root), "
            "or pass --no-sandbox to run without confinement (only for code you trust).")
    return path


class Cgroup:
    """A cgroup (v1 or v2) capping memory and process count, or nothing where we cannot make one."""

    def __init__(self, limits: Limits):
        self.dirs: list[Path] = []
        self.version = 0
        name = f"hw7grader-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        v1_mem, v1_pids = Path("/sys/fs/cgroup/memory"), Path("/sys/fs/cgroup/pids")
        try:
            if (v1_mem / "cgroup.procs").exists() and (v1_pids / "cgroup.procs").exists():
                mem, pids = v1_mem / name, v1_pids / name
                mem.mkdir()
                self.dirs.append(mem)
                pids.mkdir()
                self.dirs.append(pids)
                (mem / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
                swap = mem / "memory.memsw.limit_in_bytes"
                if swap.exists():
                    swap.write_text(str(limits.memory_bytes))
                (pids / "pids.max").write_text(str(limits.pids))
                self.version = 1
            elif Path("/sys/fs/cgroup/cgroup.controllers").exists():
                base = Path("/sys/fs/cgroup") / name
                base.mkdir()
                self.dirs.append(base)
                (base / "memory.max").write_text(str(limits.memory_bytes))
                if (base / "memory.swap.max").exists():
                    (base / "memory.swap.max").write_text("0")
                (base / "pids.max").write_text(str(limits.pids))
                self.version = 2
        except OSError:
            # No permission or no controller: fall back to rlimits (said in the report).
            self.remove()
            self.version = 0

    @property
    def active(self) -> bool:
        """Whether the cgroup exists and limits memory and pids."""
        return self.version > 0

    def enter(self) -> None:
        """Move the calling process into the cgroup (run in the child before exec)."""
        self.add(os.getpid())

    def add(self, pid: int) -> None:
        """Move process `pid` into the cgroup (its children follow it)."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid))

    def kill_all(self) -> None:
        """SIGKILL every process in the cgroup."""
        for d in self.dirs:
            kill_file = d / "cgroup.kill"
            if kill_file.exists():
                try:
                    kill_file.write_text("1")
                    continue
                except OSError:
                    pass  # older kernels: kill one by one below
            for _ in range(50):
                try:
                    pids = [int(x) for x in (d / "cgroup.procs").read_text().split()]
                except OSError:
                    break
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.01)

    def broke_limit(self) -> str | None:
        """Which limit the processes hit, if any: 'memory' or 'processes'."""
        for d in self.dirs:
            try:
                for name in ("memory.oom_control", "memory.events"):  # v1 and v2 spellings
                    if (d / name).exists():
                        events = dict(line.split()[:2] for line in (d / name).read_text().splitlines() if " " in line)
                        if int(events.get("oom_kill", 0)) > 0:
                            return "memory"
                if (d / "pids.events").exists():
                    events = dict(line.split() for line in (d / "pids.events").read_text().splitlines())
                    if int(events.get("max", 0)) > 0:
                        return "processes"
            except (OSError, ValueError):
                continue
        return None

    def remove(self) -> None:
        """Delete the cgroup directories (after the processes are gone)."""
        for d in reversed(self.dirs):
            for _ in range(20):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.dirs = []


def _python_roots() -> list[str]:
    """The folders the Python runtime needs (venv and base install), deduplicated."""
    roots = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
             os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    out = []
    for r in sorted(roots, key=len):
        if r in ("/", "/usr") or any(r.startswith(o + "/") for o in out):
            continue
        out.append(r)
    return out


def system_layout() -> list[list[str]]:
    """What of the machine a sandbox sees, read-only: [kind, path(, link target)] with kind dir, file or symlink.

    The Python runtime (venv and base install), /usr and the loader's few files in /etc; nothing else.
    """
    layout = [["dir", "/usr"]]
    for link in ("bin", "lib", "lib64", "sbin", "lib32"):
        p = Path("/") / link
        if p.is_symlink():
            layout.append(["symlink", f"/{link}", os.readlink(p)])
        elif p.is_dir():
            layout.append(["dir", f"/{link}"])
    for etc in ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(etc):
            layout.append(["dir" if os.path.isdir(etc) else "file", etc])
    for root in _python_roots():
        if not root.startswith("/usr/"):
            layout.append(["dir", root])
    venv = os.path.realpath(sys.prefix)
    if venv != os.path.realpath(sys.base_prefix) and not venv.startswith("/usr/"):
        layout.append(["dir", venv])
    return layout


def _bwrap_base(bwrap: str, config: SandboxConfig) -> list[str]:
    """bwrap's flags for a confined process: namespaces, user, the system read-only, private /tmp, GPU nodes."""
    cmd = [bwrap, "--unshare-all", "--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY),
           "--cap-drop", "ALL", "--die-with-parent", "--new-session",
           "--proc", "/proc", "--dev", "/dev",
           "--size", str(config.limits.tmp_bytes), "--tmpfs", "/tmp",
           "--dir", "/etc"]
    for entry in system_layout():
        if entry[0] == "symlink":
            cmd += ["--symlink", entry[2], entry[1]]
        else:
            cmd += ["--ro-bind", entry[1], entry[1]]
    if config.gpu:
        # CUDA needs the device nodes bound as devices (a plain --bind over --dev's nodev tmpfs is refused)
        # and a read-only /sys: without /sys, cuInit fails with CUDA_ERROR_OPERATING_SYSTEM.
        for dev in gpu_device_nodes():
            cmd += ["--dev-bind", dev, dev]
        cmd += ["--ro-bind", "/sys", "/sys"]
    return cmd


def bwrap_command(bwrap: str, folder: Path, config: SandboxConfig, fds: tuple[int, int],
                  inputs: Path | None = None) -> list[str]:
    """The bwrap command line that runs the worker confined, with `folder` as /submission."""
    cmd = _bwrap_base(bwrap, config)
    for f in WORKER_FILES:
        cmd += ["--ro-bind", str(f), f"{WORKER_DIR_IN_SANDBOX}/{f.name}"]
    cmd += ["--ro-bind", str(folder.resolve()), SUBMISSION_IN_SANDBOX, "--chdir", SUBMISSION_IN_SANDBOX]
    if inputs is not None:
        cmd += ["--ro-bind", str(inputs), INPUTS_IN_SANDBOX]
    cmd += ["--", sys.executable, "-I", "-B", f"{WORKER_DIR_IN_SANDBOX}/sandbox_worker.py", str(fds[0]), str(fds[1])]
    return cmd


def gpu_device_nodes() -> list[str]:
    """The NVIDIA device nodes of this machine (/dev/nvidia0, nvidiactl, nvidia-uvm, ...)."""
    return sorted(glob.glob("/dev/nvidia*"))


# Where the machine's CUDA driver is found and which GPUs are meant: set by whoever runs the grader (GPU
# containers often find libcuda through LD_LIBRARY_PATH), never by a student, so passed on with --gpu.
GPU_ENV = ("LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES")


def worker_env(gpu: bool = False) -> dict:
    """The environment inside the sandbox: nothing of the grader's, but for the GPU's settings with `gpu`."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8",
           "PYTHONHASHSEED": "0", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1"}
    if gpu:
        env.update({k: os.environ[k] for k in GPU_ENV if k in os.environ})
    return env


class WorkerDied(Exception):
    """The worker stopped answering: it exited, was killed, or broke a limit."""

    def __init__(self, reason: str, timed_out: bool = False):
        super().__init__(reason)
        self.timed_out = timed_out


def _parent_death_signal():
    """A function that makes the calling process get SIGKILL when its parent dies, or None off Linux.

    Resolved in the parent: looking a symbol up between fork and exec could deadlock on the loader's lock.
    """
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG


class Worker:
    """One running worker process for one submission, talking over two pipes."""

    # Every worker this process started and has not closed: a SIGTERM or Ctrl-C must kill them all within
    # moments (`kill_live`), from a signal handler that holds no reference to them. Process state by nature,
    # like the signal handlers themselves; weak, so that it keeps nothing alive.
    _live: "weakref.WeakSet[Worker]" = weakref.WeakSet()
    # Set by the first `kill_live`: the process is stopping, so a worker started after it (by a grading thread
    # that has not seen the stop yet, restarting the one just killed) is killed at once, never left to run.
    _stopped_for: str | None = None

    @classmethod
    def kill_live(cls, reason: str) -> int:
        """Kill every worker of this process that is still running, and any started later; how many there were."""
        Worker._stopped_for = Worker._stopped_for or reason
        workers = list(cls._live)
        for w in workers:
            w.kill(reason)
        return len(workers)

    @staticmethod
    def track(worker: "Worker") -> None:
        """Count `worker` among the live ones (killed at once if the process is stopping)."""
        Worker._live.add(worker)
        if Worker._stopped_for is not None:
            worker.kill(Worker._stopped_for)

    def __init__(self, folder: Path, config: SandboxConfig, inputs: Path | None = None):
        self.config = config
        self.folder = folder
        self.output = bytearray()
        self.output_total = 0
        self.killed_for: str | None = None
        die_with_parent = None if config.use_bwrap else _parent_death_signal()  # bwrap has --die-with-parent
        self.cgroup = Cgroup(config.limits)
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        limits = config.limits
        cgroup = self.cgroup

        def confine():  # runs in the child between fork and exec
            cgroup.enter()
            if die_with_parent is not None:
                die_with_parent()  # a grader killed outright must not leave unconfined workers behind
            resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 5))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_FSIZE, (limits.tmp_bytes, limits.tmp_bytes))
            if not cgroup.active and not config.gpu:
                # Not with the GPU: CUDA reserves far more address space than it uses, and cuInit fails
                # under RLIMIT_AS. There, memory is capped only where a cgroup can be made.
                resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))

        if config.use_bwrap:
            cmd = bwrap_command(require_bwrap(), folder, config, (req_r, rep_w), inputs)
            cwd = "/"
        else:
            cmd = [sys.executable, "-I", "-B", str(WORKER_FILES[0]), str(req_r), str(rep_w)]
            cwd = str(folder.resolve())
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w, cwd=cwd,
                                         env=worker_env(config.gpu), pass_fds=(req_r, rep_w), preexec_fn=confine,
                                         start_new_session=True)
        except (OSError, subprocess.SubprocessError) as exc:
            for fd in (req_r, rep_w, out_r, out_w, self.req_w, self.rep_r):
                os.close(fd)
            self.cgroup.remove()
            raise SandboxUnavailable(f"cannot start the sandbox: {exc}") from exc
        for fd in (req_r, rep_w, out_w):
            os.close(fd)
        Worker.track(self)
        self._drain = threading.Thread(target=self._drain_output, args=(out_r,), daemon=True)
        self._drain.start()

    def _drain_output(self, fd: int) -> None:
        """Read everything the submission prints, keeping the first bytes and discarding the rest.

        Printing is never a reason to stop a worker: the pipe is always drained, so
        the worker never blocks on a full pipe, and grading goes on.
        """
        keep = self.config.limits.output_keep
        with os.fdopen(fd, "rb", buffering=0) as out:
            while chunk := out.read(1 << 16):
                self.output_total += len(chunk)
                if len(self.output) < keep:
                    self.output += chunk[: keep - len(self.output)]

    @property
    def output_note(self) -> str | None:
        """For the student, when the submission printed more than the output cap: that the output was cut."""
        limits = self.config.limits
        if self.output_total <= limits.output_bytes:
            return None
        return (f"your code printed {_size(self.output_total)}, more than the {_size(limits.output_bytes)} a "
                f"submission may print: the output was cut (everything past that was discarded) and grading went on; "
                f"printing costs no points. The report shows the first {_size(min(limits.output_keep, limits.output_bytes))}.")

    def request(self, message: dict, timeout: float) -> dict:
        """Send one request and wait up to `timeout` s for its reply; WorkerDied otherwise."""
        if self.proc.poll() is not None:
            raise WorkerDied(self.death_reason())
        try:
            wire.write_frame(self.req_w, message)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(self.death_reason()) from exc
        ready, _, _ = select.select([self.rep_r], [], [], timeout)
        if not ready:
            self.kill(f"did not finish within {timeout:g} s (wall time)")
            raise WorkerDied(self.death_reason(), timed_out=True)
        try:
            return wire.read_frame(self.rep_r, self.config.limits.reply_bytes)
        except EOFError as exc:
            self.proc.wait(timeout=5)
            raise WorkerDied(self.death_reason()) from exc
        except wire.WireError as exc:
            self.kill(f"sent a malformed reply ({exc})")
            raise WorkerDied(self.death_reason()) from exc

    def death_reason(self) -> str:
        """Why the worker is gone, in words for a student."""
        if self.killed_for:
            return self.killed_for
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill("stopped answering")
            return "stopped answering"
        # bwrap reports a child killed by signal N as exit status 128 + N.
        sig = -code if code < 0 else (code - 128 if self.config.use_bwrap and 128 < code < 160 else 0)
        broke = self.cgroup.broke_limit() if self.cgroup.active else None
        limits = self.config.limits
        if broke == "memory":
            return f"ran out of memory (limit {limits.memory_bytes / GiB:g} GiB)"
        if broke == "processes":
            return f"started too many processes or threads (limit {limits.pids})"
        if sig == signal.SIGXCPU:
            return f"used more than {limits.cpu_s} s of CPU time"
        if sig == signal.SIGKILL and not self.cgroup.active:
            return f"was killed (probably out of memory: limit {limits.memory_bytes / GiB:g} GiB)"
        if sig:
            return f"was killed by signal {signal.Signals(sig).name}"
        return f"exited with status {code} (sys.exit or os._exit in the submission?)"

    def kill(self, reason: str) -> None:
        """Stop the worker and everything it started."""
        if self.killed_for is None:
            self.killed_for = reason
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.cgroup.active:
            self.cgroup.kill_all()

    def close(self) -> str:
        """Stop the worker, release its resources, and return what it printed."""
        if self.proc.poll() is None:
            try:
                wire.write_frame(self.req_w, {"op": "bye"})
                self.proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.proc.poll() is None or self.cgroup.active:
            self.kill(self.killed_for or "closed")
            self.proc.wait(timeout=10)
        for fd in (self.req_w, self.rep_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._drain.join(timeout=5)
        self.cgroup.remove()
        Worker._live.discard(self)
        text = self.output.decode("utf-8", errors="replace")
        if self.output_total > len(self.output):
            text += f"\n... ({self.output_total - len(self.output)} more bytes not shown)"
        return text


class ProcessLauncher:
    """Workers as fresh processes (bubblewrap, or plain with --no-sandbox), one per start: the `Launcher` by default.

    A launcher gives `Answers` its workers: `stage` once per submission, `start` for each
    worker (a restart after a hang starts another), `release` when the submission is done.
    """

    def stage(self, folder: Path) -> Staged:
        """The submission's own folder, and a new folder for big arguments."""
        inputs = Path(tempfile.mkdtemp(prefix="hw7-inputs-"))
        inputs.chmod(0o755)
        return Staged(folder, inputs)

    def start(self, staged: Staged, config: SandboxConfig) -> "Worker":
        """A new worker process on the staged submission."""
        return Worker(staged.folder, config, staged.inputs)

    def release(self, staged: Staged) -> None:
        """Remove the folder of big arguments."""
        shutil.rmtree(staged.inputs, ignore_errors=True)

    def close(self) -> None:
        """Nothing to stop: each worker was closed with its submission."""

    def abandon(self) -> None:
        """As `close`, for a process about to end at once (its live workers are killed by `Worker.kill_live`)."""


def _size(n: int) -> str:
    """A byte count in words: '50 MiB', '16 KiB', '300 bytes'."""
    for unit, size in (("GiB", GiB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"


def _probe(config: SandboxConfig, cells: list, timeout: float, died: str, get: str | None = None) -> tuple[dict, object]:
    """Run `cells` in a worker on an empty submission: (the load reply, the value of `get` if the cells ran clean).

    SandboxUnavailable, starting with `died` and quoting what the worker printed, when it stops answering.
    """
    with tempfile.TemporaryDirectory(prefix="hw7-selftest-") as empty:
        worker = Worker(Path(empty), config)
        try:
            reply = worker.request({"op": "load", "cells": cells, "stop_on_error": True, "path": "/submission"}, timeout)
            value = None
            if get is not None and not reply.get("errors"):
                value = worker.request({"op": "get", "name": get}, 10.0).get("value")
        except WorkerDied as exc:
            output = worker.close().strip()
            raise SandboxUnavailable(f"{died} {exc}." + (f" It printed: {output[:500]}" if output else "")) from exc
        worker.close()
    return reply, value


def self_test(config: SandboxConfig, timeout: float = 30.0) -> None:
    """Start a worker on an empty submission and expect an answer; SandboxUnavailable (with bwrap's words) otherwise."""
    reply, _ = _probe(config, [], timeout, "the sandbox does not start on this machine: the worker")
    if reply.get("errors"):
        raise SandboxUnavailable(f"the sandbox's worker fails on an empty submission: {reply['errors']}")


GPU_PROBE = ("import torch\n"
             "if not torch.cuda.is_available():\n"
             "    raise RuntimeError('torch.cuda.is_available() is False inside the sandbox')\n"
             "gpu_probe = float((torch.arange(4.0, device='cuda') ** 2).sum().item())\n"
             "gpu_name = torch.cuda.get_device_name(0)\n")


def gpu_self_test(config: SandboxConfig, timeout: float = 120.0) -> str:
    """Check that code in the sandbox can use the GPU; its name, or SandboxUnavailable saying why not.

    Grading timed GPU parts without a working GPU would fail every student for the
    grader's fault, so `grader grade --gpu` refuses to start instead.
    """
    if not gpu_device_nodes():
        raise SandboxUnavailable("--gpu: this machine has no NVIDIA device nodes (/dev/nvidia*); "
                                 "grade without --gpu, or on a machine with a GPU")
    reply, name = _probe(config, [["gpu probe", GPU_PROBE]], timeout, "--gpu: the GPU probe's worker", get="gpu_name")
    if reply.get("errors"):
        hint = ""
        if "/dev/nvidia-uvm" not in gpu_device_nodes():
            # CUDA makes this node on first use through a setuid helper, which cannot run in the sandbox.
            hint = (" /dev/nvidia-uvm is missing: run one CUDA program outside the sandbox first "
                    "(e.g. python3 -c 'import torch; torch.ones(1, device=\"cuda\")'), then grade again.")
        raise SandboxUnavailable(f"--gpu: code in the sandbox cannot use the GPU: {str(reply['errors'])[:800]}{hint}")
    return name if type(name) is str else "a CUDA device"
