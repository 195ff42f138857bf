"""Stopping `grader grade`: SIGINT or SIGTERM kills every sandbox at once, writes who was graded, exits 130/143."""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

pytestmark = pytest.mark.usefixtures("bwrap")

# Hangs at import, asleep (not spinning: the test machine is shared): the import limit is 60 s.
HANGS = "training_decoder_inputs = ['<sos>', 'I', 'see', 'a', 'dog']\nimport time\ntime.sleep(3600)\n"


def processes() -> dict[int, tuple[int, str, str]]:
    """{pid: (parent pid, state, command line)} of every process, read from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        table[int(entry.name)] = (int(ppid), state, cmdline)
    return table


def descendants(root: int, table: dict) -> dict[int, str]:
    """{pid: command line} of every process below `root`."""
    found, todo = {}, [root]
    while todo:
        parent = todo.pop()
        for pid, (ppid, _, cmdline) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = cmdline
                todo.append(pid)
    return found


def alive(pids) -> dict[int, str]:
    """The processes among `pids` that still run (zombies count as gone)."""
    table = processes()
    return {pid: table[pid][2] for pid in pids if pid in table and table[pid][1] != "Z"}


def in_a_submission(pid: int) -> bool:
    """Whether process `pid` works in a sandbox's /submission folder (seen from inside its own root)."""
    try:
        return os.readlink(f"/proc/{pid}/cwd") == "/submission"
    except OSError:
        return False


def wait_for(condition, seconds: float, what: str, stderr: list):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}; stderr so far:\n{''.join(stderr)}")


@pytest.mark.parametrize("sig, to_group", [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGTERM, True)],
                         ids=["SIGINT-like-ctrl-c", "SIGTERM-to-the-grader", "SIGTERM-like-timeout"])
def test_a_stop_signal_kills_every_sandbox_and_writes_the_students_graded(tmp_path, sig, to_group):
    batch, out = tmp_path / "batch", tmp_path / "out"
    shutil.copytree(EXAMPLES / "seq2seq_translation" / "correct", batch / "a_correct")
    (batch / "b_hangs").mkdir()
    (batch / "b_hangs" / "answers.py").write_text(HANGS)
    tmp = tmp_path / "tmp"  # the grader's TMPDIR: where its workers' zygotes stage the submissions
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(batch), "--out", str(out),
                             "--problem", "seq2seq_translation", "--jobs", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    stderr: list[str] = []
    stdout: list[str] = []
    readers = [threading.Thread(target=lambda f=f, into=into: into.extend(iter(f.readline, "")), daemon=True)
               for f, into in ((proc.stderr, stderr), (proc.stdout, stdout))]
    for r in readers:
        r.start()
    try:
        wait_for(lambda: any("graded a_correct (1 of 2)" in line for line in stderr), 90, "a_correct", stderr)
        # a_correct's worker is closed by now: a process working in /submission is b_hangs's (a fresh
        # bwrap worker or a zygote's child, whose command lines do not name the submission).
        wait_for(lambda: any(in_a_submission(pid) for pid in descendants(proc.pid, processes())), 30,
                 "the hanging submission's sandbox", stderr)
        below = descendants(proc.pid, processes())  # the pool, its sandboxes (bwrap and what runs inside)
        assert any("bwrap" in c for c in below.values()) and len(below) >= 4, below
        sent = time.monotonic()
        if to_group:
            os.killpg(proc.pid, sig)  # as Ctrl-C in a terminal, or `timeout`, do
        else:
            os.kill(proc.pid, sig)
        proc.wait(timeout=30)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for r in readers:
        r.join(timeout=5)
    err = "".join(stderr)
    assert proc.returncode == 128 + sig, err
    assert took < 10, f"took {took:.1f} s to stop"
    assert "Traceback" not in err and "Traceback" not in "".join(stdout), err
    name = signal.Signals(sig).name
    assert f"stopped by {name}: wrote the 1 submission(s) graded so far to {out}/; not graded: b_hangs" in err
    results = json.loads((out / "a_correct" / "results.json").read_text())
    assert results["score"] == 10
    assert not (out / "b_hangs").exists()
    assert [row.split(",")[0] for row in (out / "grades.csv").read_text().splitlines()] == ["student", "a_correct"]
    # Nothing the grader started may be left: pool processes, bwrap, the sandboxed worker.
    deadline = time.monotonic() + 5  # the kernel reaps a killed sandbox's namespace within moments
    while alive(below) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(below), alive(below)
    # Nor any file: each Dask worker, ended by the signal, removed its zygote's staging folder as it went.
    assert sorted(p.name for p in tmp.iterdir() if p.name.startswith("hw7-")) == []


def test_a_stop_during_the_sandbox_self_test_is_not_called_a_broken_sandbox(tmp_path):
    batch = tmp_path / "batch"
    shutil.copytree(EXAMPLES / "seq2seq_translation" / "correct", batch / "a_correct")
    # The signal arrives while the self-test's worker is running: the handler kills it, the probe fails.
    code = ("import signal, sys\n"
            "from grader import cli, sandbox\n"
            "real = sandbox.Worker.request\n"
            "def request(self, message, timeout):\n"
            "    signal.raise_signal(signal.SIGTERM)\n"
            "    return real(self, message, timeout)\n"
            "sandbox.Worker.request = request\n"
            f"sys.exit(cli.main(['grade', {str(batch)!r}, '--out', {str(tmp_path / 'out')!r}]))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 143, proc.stderr
    assert "stopped by SIGTERM before any submission was graded; nothing written" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_a_sandbox_started_after_a_stop_signal_is_killed_at_once(tmp_path):
    # A grading thread that has not seen the stop yet restarts the worker the handler just killed: that one
    # must not run either (in a process of its own: the stop is for the rest of the process's life).
    (tmp_path / "answers.py").write_text("x = 1\n")
    code = ("import sys, time\n"
            "from pathlib import Path\n"
            "from grader.sandbox import SandboxConfig, Worker, WorkerDied\n"
            "Worker.kill_live('stopped: the grader was interrupted')\n"
            f"w = Worker(Path({str(tmp_path)!r}), SandboxConfig(use_bwrap=False))\n"
            "start = time.monotonic()\n"
            "try:\n"
            "    w.request({'op': 'get', 'name': 'x'}, 30)\n"
            "except WorkerDied as exc:\n"
            "    print('died:', exc, f'{time.monotonic() - start:.1f}')\n"
            "w.close()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])))
    assert proc.returncode == 0, proc.stderr
    reason, seconds = proc.stdout.rsplit(" ", 1)
    assert reason == "died: stopped: the grader was interrupted" and float(seconds) < 10, proc.stdout
