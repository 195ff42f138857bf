"""The zygote: a sandboxed process that imports the heavy libraries once and forks one confined child per submission.

Runs as a script (`python -I -B zygote_inside.py CTRL_FD LAYOUT_JSON PRELOAD`)
inside the same bubblewrap sandbox as a worker, beside `sandbox_worker.py` and
`wire.py`, and imports nothing else of the grader. It never runs student code
itself: each submission gets a forked child that, before running anything of
the student's, enters new user, mount, pid, network, IPC and UTS namespaces,
builds a fresh root of its own (read-only system binds, its own submission and
inputs folders, a private /tmp, /dev/shm and /dev, no /proc), pivots into it,
and drops every capability. Three processes per submission:

    zygote ─ fork ─> keeper   unshares the namespaces, waits for the init below
                       └ fork ─> init (pid 1 of the new pid namespace): mounts the root, pivots,
                                   drops capabilities, reports its pid to the grader (over
                                   SCM_CREDENTIALS, so the grader sees it in its own pid namespace and
                                   puts it in the submission's cgroup), then forks
                                   └ worker (pid 2): limits, then `sandbox_worker.main`

The init reports the worker's wait status to the grader and exits, which kills
whatever the student left running. A sibling submission is never visible: it
lives in another pid, mount and network namespace.

Control messages are JSON over a SOCK_SEQPACKET socket; a spawn request carries
the new child's pipes as SCM_RIGHTS.
"""
from __future__ import annotations

import array
import ctypes
import fcntl
import gc
import importlib
import json
import os
import resource
import signal
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import sandbox_worker  # noqa: E402  (copied beside this file)

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 4, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
CAP_VERSION_3 = 0x20080522
NEWROOT = "/newroot"
STAGING = "/staging"
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
MAX_MESSAGE = 1 << 16

libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(libc.mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                      ctypes.c_ulong(flags), data.encode() if data else None), f"mount {source} on {target}")


def preload(names: list[str]) -> list[str]:
    """Import the libraries every submission would import; warm torch up so a student's first step is not slower.

    The warm-up runs one tiny forward, backward and SGD step on the CPU: the first optimizer step imports
    torch._dynamo (about a second) and the first operation reads the CPU's features. With OMP_NUM_THREADS=1
    none of this starts a thread, so forking stays safe. CUDA is never touched here.
    """
    done = []
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
        done.append(name)
    if "numpy" in done:
        import numpy

        import numpy.random  # noqa: F401  (numpy imports it lazily; every fork would pay for it)

        numpy.ones(4) @ numpy.ones(4)
    if "torch" in done:
        import torch

        layer = torch.nn.Linear(3, 2)
        opt = torch.optim.SGD(layer.parameters(), lr=0.1, weight_decay=1e-3)
        torch.nn.functional.mse_loss(layer(torch.ones(4, 3)), torch.zeros(4, 2)).backward()
        opt.step()
        del layer, opt
    return done


# -- the child's root ---------------------------------------------------------------------------------
def _bind(source: str, target_in_root: str, is_dir: bool) -> None:
    target = NEWROOT + target_in_root
    if is_dir:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(source, target, None, MS_BIND | MS_REC)


def build_root(layout: list, spec: dict) -> None:
    """Mount the child's own root at /newroot and pivot into it; afterwards nothing else is reachable."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    # The private /tmp first, as bubblewrap's --tmpfs before its binds: a runtime that lives under /tmp (a
    # checkout in /tmp/...) is then bound inside it, rather than mounted over and hidden by it.
    os.makedirs(NEWROOT + "/tmp")
    _mount("tmpfs", NEWROOT + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={spec['tmp_bytes']},mode=1777")
    for entry in layout:
        kind, path = entry[0], entry[1]
        if kind == "symlink":
            os.symlink(entry[2], NEWROOT + path)
        elif kind in ("dir", "file"):
            _bind(path, path, kind == "dir")
    token = spec["token"]
    _bind(f"{STAGING}/{token}/submission", spec["submission"], True)
    _bind(f"{STAGING}/{token}/inputs", spec["inputs"], True)
    os.makedirs(NEWROOT + "/proc")  # empty: a new procfs cannot be mounted here, and the zygote's shows siblings
    dev = NEWROOT + "/dev"
    os.makedirs(dev)
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for node in DEV_NODES:
        if os.path.exists(f"/dev/{node}"):
            _bind(f"/dev/{node}", f"/dev/{node}", False)
    for node in spec.get("gpu_nodes", ()):  # bound as devices into the zygote; bound on, devices still
        _bind(node, node, os.path.isdir(node))
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.makedirs(f"{dev}/shm")
    _mount("tmpfs", f"{dev}/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={spec['tmp_bytes']},mode=1777")
    if spec.get("gpu_nodes"):
        _bind("/sys", "/sys", True)  # CUDA does not initialise without it (read-only in the zygote already)
    os.makedirs(NEWROOT + "/.oldroot")
    _check(libc.syscall(PIVOT_ROOT[os.uname().machine], NEWROOT.encode(), (NEWROOT + "/.oldroot").encode()),
           "pivot_root")
    os.chdir("/")
    _check(libc.umount2(b"/.oldroot", MNT_DETACH), "umount the old root")
    os.rmdir("/.oldroot")
    _mount(None, "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)
    _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def loopback_up() -> None:
    """Bring up `lo` in the new network namespace, as bubblewrap does (a student may listen on 127.0.0.1)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s.fileno(), 0x8913, ifreq))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(s.fileno(), 0x8914, struct.pack("16sH14x", b"lo", flags | 1))  # SIOCSIFFLAGS, IFF_UP


def drop_privileges() -> None:
    """No capability left (bounding, ambient, permitted, effective), no new privileges, not dumpable."""
    _check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(CAP_VERSION_3, 0), (_CapData * 2)()
    _check(libc.capset(ctypes.byref(header), data), "capset")
    _check(libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "dumpable")


def set_limits(spec: dict) -> None:
    """The worker's rlimits, as a fresh worker process gets them."""
    cpu = int(spec["cpu_s"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(spec["tmp_bytes"]), int(spec["tmp_bytes"])))
    if spec.get("address_space"):
        resource.setrlimit(resource.RLIMIT_AS, (int(spec["address_space"]), int(spec["address_space"])))


# -- the three processes of a child -------------------------------------------------------------------
def keeper(spec: dict, fds: list[int], layout: list) -> None:
    """The zygote's direct child: new namespaces for what it forks next; then it waits for that init."""
    uid, gid = os.getuid(), os.getgid()
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS),
           "unshare")
    # The only id the zygote has is mapped to itself: the child is the same unprivileged user, in its own
    # user namespace, owning its own mount and network namespaces and nobody else's.
    with open("/proc/self/setgroups", "w") as fh:
        fh.write("deny")
    with open("/proc/self/uid_map", "w") as fh:
        fh.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as fh:
        fh.write(f"{gid} {gid} 1")
    pid = os.fork()
    if pid == 0:
        init(spec, fds, layout)  # never returns
    for fd in fds:
        os.close(fd)
    os.waitpid(pid, 0)


def init(spec: dict, fds: list[int], layout: list) -> None:
    """Pid 1 of the child's namespace: builds its root, drops privileges, forks the worker, reports its status."""
    req_r, rep_w, out_w, status = fds
    try:
        os.setsid()
        build_root(layout, spec)
        loopback_up()
        drop_privileges()
        sock = socket.socket(fileno=status)
        sock.send(b'{"hello": true}')  # the kernel attaches our pid as the grader sees it
        if sock.recv(16) != b"go":  # the grader has put us in the submission's cgroup
            os._exit(3)
    except BaseException as exc:  # setup failed: say why on the worker's output, the grader reports it
        os.write(out_w, f"sandbox setup failed: {type(exc).__name__}: {exc}\n".encode())
        os._exit(4)
    pid = os.fork()
    if pid == 0:
        sock.close()
        worker(spec, req_r, rep_w, out_w)  # never returns
    for fd in (req_r, rep_w, out_w):
        os.close(fd)
    # As init, reap every orphan; stop when the worker itself is gone (the kernel then kills the rest).
    while True:
        try:
            got, wait_status = os.wait()
        except ChildProcessError:
            wait_status = 0
            break
        if got == pid:
            break
    try:
        sock.send(json.dumps({"status": wait_status}).encode())
    except OSError:
        pass
    os._exit(0)


def worker(spec: dict, req_r: int, rep_w: int, out_w: int) -> None:
    """The process that runs the submission: the same worker loop as a fresh sandbox process."""
    code = 0
    try:
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        for fd in (null, out_w):
            os.close(fd)
        set_limits(spec)
        libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # like any process (only the init above must not be traced)
        os.chdir(spec["submission"])
        # A fresh process seeds its global generators from the OS; a fork would copy the zygote's state.
        if "numpy.random" in sys.modules:
            sys.modules["numpy.random"].seed()
        if "torch" in sys.modules:
            sys.modules["torch"].seed()
        sys.argv = [os.path.join(HERE, "sandbox_worker.py")]
        sandbox_worker.main(req_r, rep_w)
    except BaseException:  # the worker loop itself failed: its traceback is the submission's output
        import traceback

        traceback.print_exc()
        code = 5
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


# -- the zygote's loop --------------------------------------------------------------------------------
def serve(ctrl: socket.socket, layout: list) -> None:
    """Answer spawn requests until the grader says bye or goes away."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    while True:
        try:
            data, ancdata, _, _ = ctrl.recvmsg(MAX_MESSAGE, socket.CMSG_SPACE(16 * array.array("i").itemsize))
        except (ConnectionResetError, OSError):
            return
        if not data:
            return
        fds = array.array("i")
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
        msg = json.loads(data)
        if msg.get("op") == "bye":
            return
        if msg.get("op") != "spawn" or len(fds) != 4:
            for fd in fds:
                os.close(fd)
            ctrl.send(json.dumps({"error": f"bad request {msg.get('op')!r} with {len(fds)} fds"}).encode())
            continue
        pid = os.fork()
        if pid == 0:
            ctrl.close()
            code = 0
            try:
                keeper(msg, list(fds), layout)
            except BaseException as exc:
                try:
                    os.write(fds[2], f"sandbox setup failed: {type(exc).__name__}: {exc}\n".encode())
                except OSError:
                    pass
                code = 4
            os._exit(code)
        for fd in fds:
            os.close(fd)
        ctrl.send(json.dumps({"pid": pid}).encode())
        _reap()


def _reap() -> None:
    """Collect the keepers that have finished (they exit when their submission does)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main(ctrl_fd: int, layout_json: str, preload_csv: str) -> None:
    """Preload, say ready, and serve."""
    ctrl = socket.socket(fileno=ctrl_fd)
    start = time.perf_counter()
    # Importing torch makes millions of objects, none of them garbage: without the collector walking
    # them again and again, the imports take a quarter less CPU.
    gc.disable()
    loaded = preload([n for n in preload_csv.split(",") if n])
    # What is imported now stays as it is in every child: out of the collector's sight, the children's
    # collections do not write to (and so copy) the pages of these objects.
    gc.freeze()
    gc.enable()
    ctrl.send(json.dumps({"ready": True, "preloaded": loaded, "seconds": time.perf_counter() - start}).encode())
    serve(ctrl, json.loads(layout_json))
    # The keepers left are finishing (their submissions are closed): wait for them, so that their time is
    # accounted to the grader, whose children we are.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.01)
        except ChildProcessError:
            break
    os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
