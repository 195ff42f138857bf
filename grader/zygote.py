"""Stage 2's fast path: one sandboxed zygote per grading process, forking a fresh confined worker per submission.

A fresh bubblewrap worker pays for starting Python and importing what the
submission imports (torch: over a second, and another second for torch._dynamo
on the first optimizer step) for every submission. The zygote pays once: it
starts in the same bubblewrap sandbox as a worker, imports numpy (and torch,
when a selected problem needs it), and then forks a child per submission.
Before any student code runs, the child enters new user, mount, pid, network,
IPC and UTS namespaces, mounts a root of its own that holds the system
read-only, its own submission and inputs folders, a private /tmp, /dev/shm and
/dev, and no /proc, pivots into it, drops every capability, and is put in the
submission's own cgroup with the same rlimits as a fresh worker
(`zygote_inside.py` has the details). A child is a `Worker`: the claims see no
difference.

How files reach a child: the zygote's sandbox binds one staging folder of the
grader's, read-only. Each submission's files are copied into a folder of its
own there (`stage`), and its child binds only that folder; other submissions'
folders are not in its root.
"""
from __future__ import annotations

import array
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from grader.errors import SandboxUnavailable
from grader.sandbox import (INPUTS_IN_SANDBOX, SUBMISSION_IN_SANDBOX, WORKER_DIR_IN_SANDBOX, WORKER_FILES, Cgroup,
                            SandboxConfig, Staged, Worker, _bwrap_base, gpu_device_nodes, require_bwrap, system_layout,
                            worker_env)

ZYGOTE_FILES = WORKER_FILES + (Path(__file__).with_name("zygote_inside.py"),)
STAGING_IN_SANDBOX = "/staging"
READY_TIMEOUT_S = 120.0  # importing torch on a loaded machine
HELLO_TIMEOUT_S = 30.0  # a child's namespaces and mounts take milliseconds; a loaded machine, more
UCRED = struct.Struct("3i")  # pid, uid, gid


def preload_for(problems) -> tuple[str, ...]:
    """What a zygote imports before forking: numpy always, torch when a problem's answers may use it."""
    return ("numpy",) + (("torch",) if any(p.needs_torch for p in problems) else ())


def zygote_command(bwrap: str, staging: Path, config: SandboxConfig, ctrl_fd: int, preload: tuple[str, ...]) -> list[str]:
    """The bwrap command line of the zygote: a worker's sandbox, the staging folder read-only, no submission."""
    cmd = _bwrap_base(bwrap, config)
    for f in ZYGOTE_FILES:
        cmd += ["--ro-bind", str(f), f"{WORKER_DIR_IN_SANDBOX}/{f.name}"]
    cmd += ["--ro-bind", str(staging), STAGING_IN_SANDBOX, "--dir", "/newroot", "--chdir", "/"]
    child_layout = system_layout() + [["dir", WORKER_DIR_IN_SANDBOX]]
    cmd += ["--", sys.executable, "-I", "-B", f"{WORKER_DIR_IN_SANDBOX}/zygote_inside.py", str(ctrl_fd),
            json.dumps(child_layout), ",".join(preload)]
    return cmd


class ChildProcess:
    """A zygote child as `Worker` sees a process: pid (in our pid namespace), poll, wait, returncode.

    The child's init reports its worker's wait status over a socket and exits; a
    socket closed without a status means the init was killed (by us).
    """

    def __init__(self, pid: int, sock: socket.socket):
        self.pid = pid
        self.sock = sock
        self.returncode: int | None = None

    def _read_status(self) -> None:
        try:
            data = self.sock.recv(256)
        except OSError:
            data = b""
        if not data:
            self.returncode = -signal.SIGKILL
            return
        try:
            self.returncode = os.waitstatus_to_exitcode(int(json.loads(data)["status"]))
        except (ValueError, KeyError, TypeError):
            self.returncode = -signal.SIGKILL

    def poll(self) -> int | None:
        """The exit code when the child is gone, else None."""
        if self.returncode is None and select.select([self.sock], [], [], 0)[0]:
            self._read_status()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the child to end; subprocess.TimeoutExpired after `timeout` s."""
        if self.returncode is None:
            if not select.select([self.sock], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired("zygote child", timeout or 0)
            self._read_status()
        assert self.returncode is not None
        return self.returncode


class ZygoteChild(Worker):
    """A worker forked by the zygote for one submission: the same requests, limits and reports as a fresh one."""

    def __init__(self, zygote: "Zygote", staged: Staged, config: SandboxConfig):
        self.config = config
        self.folder = staged.folder
        self.output = bytearray()
        self.output_total = 0
        self.killed_for: str | None = None
        self.cgroup = Cgroup(config.limits)
        limits = config.limits
        req_r, self.req_w = os.pipe()
        self.rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        mine.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        spec = {"op": "spawn", "token": staged.token, "submission": SUBMISSION_IN_SANDBOX, "inputs": INPUTS_IN_SANDBOX,
                "tmp_bytes": limits.tmp_bytes, "cpu_s": limits.cpu_s,
                # As for a fresh worker: the address space is capped only where no cgroup caps memory, and never
                # with the GPU (CUDA reserves far more than it uses).
                "address_space": limits.memory_bytes if not self.cgroup.active and not config.gpu else 0,
                "gpu_nodes": gpu_device_nodes() if config.gpu else []}
        try:
            zygote.send_spawn(spec, [req_r, rep_w, out_w, theirs.fileno()])
        except BaseException:
            for fd in (self.req_w, self.rep_r, out_r):
                os.close(fd)
            mine.close()
            self.cgroup.remove()
            raise
        finally:
            for fd in (req_r, rep_w, out_w):
                os.close(fd)
            theirs.close()
        self._drain = threading.Thread(target=self._drain_output, args=(out_r,), daemon=True)
        self._drain.start()
        try:
            pid = _hello(mine)
            if self.cgroup.active:
                self.cgroup.add(pid)
            mine.send(b"go")
        except (OSError, SandboxUnavailable) as exc:
            mine.close()
            self.proc = ChildProcess(-1, mine)
            self.proc.returncode = -signal.SIGKILL
            output = self.close().strip()
            raise SandboxUnavailable(f"the zygote's child did not start: {exc}" + (f"; it printed: {output[:500]}" if output else "")) from exc
        self.proc = ChildProcess(pid, mine)
        Worker.track(self)  # killed with the others when the grader is told to stop

    def kill(self, reason: str) -> None:
        """Stop the child and everything it started (its init is pid 1 of their namespace: killing it kills all)."""
        if self.killed_for is None:
            self.killed_for = reason
        # Only while the init has not reported: once it has (or its socket closed), its pid may be reused.
        if self.proc.pid > 1 and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.cgroup.active:
            self.cgroup.kill_all()

    def close(self) -> str:
        """Stop the child, release its resources, and return what it printed."""
        text = super().close()
        self.proc.sock.close()
        return text


def _hello(sock: socket.socket) -> int:
    """The pid (in our namespace) of the child's init, from the credentials the kernel attached to its hello."""
    if not select.select([sock], [], [], HELLO_TIMEOUT_S)[0]:
        raise SandboxUnavailable(f"no word from it within {HELLO_TIMEOUT_S:g} s")
    data, ancdata, _, _ = sock.recvmsg(256, socket.CMSG_SPACE(UCRED.size))
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and data:
            pid, _, _ = UCRED.unpack(payload[: UCRED.size])
            if pid > 0:
                return pid
    raise SandboxUnavailable("it exited while setting up its namespaces")


class Zygote:
    """The long-lived sandboxed process that forks workers; started at once, ready when its imports are done."""

    def __init__(self, config: SandboxConfig, staging: Path, preload: tuple[str, ...] = ("numpy",)):
        self.config = config
        self.preload = preload
        self.staging = staging
        self._lock = threading.Lock()
        self._ctrl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = tempfile.TemporaryFile()
        self.ready: dict | None = None
        try:
            cmd = zygote_command(require_bwrap(), self.staging, config, theirs.fileno(), preload)
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                         env=worker_env(config.gpu), pass_fds=(theirs.fileno(),),
                                         start_new_session=True)
        except (OSError, subprocess.SubprocessError, SandboxUnavailable) as exc:
            self._ctrl.close()
            raise SandboxUnavailable(f"cannot start the sandbox's zygote: {exc}") from exc
        finally:
            theirs.close()

    @property
    def alive(self) -> bool:
        """Whether the zygote process is still running."""
        return self.proc.poll() is None

    def _log_text(self) -> str:
        self._log.seek(0)
        return self._log.read()[-2000:].decode("utf-8", errors="replace").strip()

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> dict:
        """Wait until the zygote has imported its libraries; SandboxUnavailable (with what it printed) otherwise."""
        if self.ready is None:
            with self._lock:
                if self.ready is None:
                    ready, _, _ = select.select([self._ctrl], [], [], timeout)
                    data = self._ctrl.recv(4096) if ready else b""
                    try:
                        self.ready = dict(json.loads(data)) if data else None
                    except ValueError:
                        self.ready = None
                    if not self.ready or not self.ready.get("ready"):
                        self.ready = None
                        self.kill()
                        why = "did not get ready" if ready else f"was not ready within {timeout:g} s"
                        log = self._log_text()
                        raise SandboxUnavailable(f"the sandbox's zygote {why}" + (f": {log}" if log else ""))
        return self.ready

    def send_spawn(self, spec: dict, fds: list[int]) -> int:
        """Ask the zygote to fork a child with these pipes; the child's pid in the zygote's namespace."""
        self.wait_ready()
        with self._lock:
            try:
                self._ctrl.sendmsg([json.dumps(spec).encode()],
                                   [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
                ready, _, _ = select.select([self._ctrl], [], [], HELLO_TIMEOUT_S)
                data = self._ctrl.recv(4096) if ready else b""
            except OSError as exc:
                raise SandboxUnavailable(f"the sandbox's zygote is gone ({exc})") from exc
        try:
            reply = json.loads(data) if data else {}
        except ValueError:
            reply = {}
        if "pid" not in reply:
            raise SandboxUnavailable(f"the sandbox's zygote did not fork a worker: {reply.get('error') or 'no reply'}"
                                     + (f"; {self._log_text()}" if not self.alive else ""))
        return int(reply["pid"])

    def spawn(self, staged: Staged, config: SandboxConfig) -> ZygoteChild:
        """A new confined worker for the staged submission, under `config`'s limits."""
        if config.gpu != self.config.gpu or not config.use_bwrap:
            raise ValueError("a zygote forks workers only for the sandbox it was started for")
        return ZygoteChild(self, staged, config)

    def kill(self) -> None:
        """Stop the zygote at once (its children die with its sandbox)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait(timeout=10)

    def close(self) -> None:
        """Stop the zygote: told to exit (so that its processes are reaped and accounted for), killed if it lingers."""
        if self.alive:
            try:
                with self._lock:
                    self._ctrl.send(b'{"op": "bye"}')
                self.proc.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.alive:
            self.kill()
        self._ctrl.close()
        self._log.close()


class ZygoteLauncher:
    """Workers forked from one zygote (started on creation, replaced if it dies); a `Launcher` for `Answers`.

    It owns the staging folder, so a replaced zygote finds the staged submissions where they were.
    """

    def __init__(self, config: SandboxConfig, preload: tuple[str, ...] = ("numpy",)):
        self.config = config
        self.preload = preload
        self.replaced = 0
        self.spawned = 0
        self.failures: list[str] = []  # why a child could not be forked (a fresh worker was used instead)
        self.broken: str | None = None  # set when the zygote never worked: every worker is then a fresh process
        self.staging = Path(tempfile.mkdtemp(prefix="hw7-zygote-"))
        try:
            self.zygote = Zygote(config, self.staging, preload)
        except BaseException:
            shutil.rmtree(self.staging, ignore_errors=True)
            raise

    def stage(self, folder: Path) -> Staged:
        """Copy one submission's files where only its children will see them."""
        token = uuid.uuid4().hex
        home = self.staging / token
        home.mkdir(mode=0o700)
        shutil.copytree(folder, home / "submission", symlinks=True)
        (home / "inputs").mkdir(mode=0o755)
        return Staged(home / "submission", home / "inputs", token)

    def start(self, staged: Staged, config: SandboxConfig) -> Worker:
        """A fresh child for the staged submission; a fresh bubblewrap process where the zygote cannot fork one.

        The zygote is only a shortcut: a zygote that died is replaced (once per call), and
        where it cannot give a worker (it never started on this machine, or this child did
        not come up) the submission gets a fresh bubblewrap worker, as without a zygote.
        """
        if self.broken is None:
            try:
                if not self.zygote.alive:
                    self._replace()
                try:
                    child = self.zygote.spawn(staged, config)
                except SandboxUnavailable:
                    if self.zygote.alive:
                        raise
                    self._replace()
                    child = self.zygote.spawn(staged, config)
                self.spawned += 1
                return child
            except SandboxUnavailable as exc:
                self.failures.append(str(exc))
                if not self.spawned:  # it never worked here: stop trying
                    self.broken = str(exc)
                else:  # a wedged or confused zygote would make every later submission wait: the next one is new
                    self.zygote.kill()
        return Worker(staged.folder, config, staged.inputs)

    def _replace(self) -> None:
        self.replaced += 1
        self.zygote.close()
        self.zygote = Zygote(self.config, self.staging, self.preload)

    def release(self, staged: Staged) -> None:
        """Remove the submission's staged files."""
        if staged.token:
            shutil.rmtree(self.staging / staged.token, ignore_errors=True)

    def close(self) -> None:
        """Stop the zygote and remove the staging folder."""
        self.zygote.close()
        shutil.rmtree(self.staging, ignore_errors=True)

    def abandon(self) -> None:
        """Kill the zygote (and so its children) at once and remove the staging folder: for a process about to end."""
        try:
            self.zygote.kill()
        except subprocess.TimeoutExpired:  # a zygote the kernel has not reaped yet: it is dying, its files go now
            pass
        shutil.rmtree(self.staging, ignore_errors=True)

    def __enter__(self) -> "ZygoteLauncher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
