"""Benchmark: a batch of a small homework graded by this grader and by nbgrader `autograde`, side by side.

The homework (bench/smallhw/problems/small_hw: four NumPy questions) exists in
both formats: our claims, and an nbgrader source notebook whose grade cells
test the same things (one grade cell per claim, same points). The script
generates N answers (seeded): correct ones, each kind of wrong answer (a wrong
value, a wrong type, an unstable softmax that only the hidden test catches, a
missing answer), exceptions (in a function, at import), and 10 % that loop
forever at import. Both graders get the same answers (nbgrader in its release
notebook, ours as a notebook of the same code cells), both with a 10 s limit
(nbgrader's cell timeout, our `--timeout 10`), sandbox on for ours.

Printed: seconds per submission for the whole mix and for the well-behaved
part alone (a second run of both graders on those only), the ratio of
throughputs, how often the two graders gave the same total, and the CPU
seconds each grader's processes used per submission (a figure that a busy
machine disturbs less than wall time).

    .venv/bin/python bench/bench_batch.py [--n 200] [--jobs 2] [--nbgrader PATH] [--skip-nbgrader] [--keep DIR]

nbgrader is a bench-only dependency (the `bench` extra), best kept in a venv of
its own: installed beside the grader, its jsonschema extras make `import
nbformat` take seconds longer in the grader. `make bench-venv` makes
`.venv-nbgrader/` (nbgrader and numpy, for the kernel), found by default.
"""
from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "bench" / "smallhw"  # its `problems` package shadows the HW7 one for this run
TIMEOUT_S = 10

# -- the answers ------------------------------------------------------------------------------------------
VARIANTS = {
    "mean_of": {
        "correct": "def mean_of(xs):\n    return sum(xs) / len(xs)\n",
        "wrong": "def mean_of(xs):\n    return sum(xs) / (len(xs) - 1)\n",
        "format": "def mean_of(xs):\n    return [sum(xs) / len(xs)]\n",
        "raises": "def mean_of(xs):\n    raise NotImplementedError('todo')\n",
        "missing": "",
    },
    "softmax": {
        "correct": "def softmax(x):\n    e = np.exp(x - x.max())\n    return e / e.sum()\n",
        "unstable": "def softmax(x):\n    e = np.exp(x)\n    return e / e.sum()\n",
        "wrong": "def softmax(x):\n    return x / x.sum()\n",
        "format": "def softmax(x):\n    e = np.exp(x - x.max())\n    return list(e / e.sum())\n",
        "raises": "def softmax(x):\n    return np.exp(x) / undefined_total\n",
    },
    "first_primes": {
        "correct": "first_primes = [2, 3, 5, 7, 11]\n",
        "wrong": "first_primes = [1, 2, 3, 5, 7]\n",
        "format": "first_primes = (2, 3, 5, 7, 11)\n",
        "missing": "",
    },
    "normalize_rows": {
        "correct": "def normalize_rows(x):\n    return x / np.linalg.norm(x, axis=1, keepdims=True)\n",
        "wrong": "def normalize_rows(x):\n    return x / np.linalg.norm(x, axis=0, keepdims=True)\n",
        "raises": "def normalize_rows(x):\n    return x / x.norm(axis=1)\n",
    },
}
QUESTIONS = tuple(VARIANTS)
HANG = "while True:\n    pass\n"
IMPORT_ERROR = "import numpy as np\nresult = np.arange(3) + undefined_name\n"


def make_answers(n: int, seed: int = 7) -> list[tuple[str, str, list[str]]]:
    """(student, kind, one code cell per question) for `n` students: 10 % hang, 5 % fail at import, 40 % correct."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        r = i % 20
        kind = "hang" if r in (3, 13) else "import_error" if r == 7 else "correct" if r % 5 in (0, 1) else "mixed"
        cells = []
        for q in QUESTIONS:
            variant = "correct" if kind in ("correct", "hang", "import_error") else rng.choice(sorted(VARIANTS[q]))
            cells.append(VARIANTS[q][variant])
        cells[0] = "import numpy as np\n" + cells[0]
        if kind == "hang":
            cells[0] = HANG + cells[0]
        elif kind == "import_error":
            cells[0] = IMPORT_ERROR + cells[0]
        out.append((f"student{i:04d}", kind, cells))
    return out


class CpuMeter:
    """CPU seconds of a command and everything it starts, from a cgroup of its own (cpuacct v1, or v2's cpu.stat).

    Not from getrusage: bubblewrap does not reap its sandbox's processes, so their time never reaches us.
    Where no cgroup can be made, `seconds` is None.
    """

    def __init__(self):
        self.dir: Path | None = None
        for base, usage in ((Path("/sys/fs/cgroup/cpuacct"), "cpuacct.usage"), (Path("/sys/fs/cgroup"), "cpu.stat")):
            if (base / usage).exists() or (base / "cgroup.controllers").exists():
                try:
                    self.dir = base / f"hw7bench-{os.getpid()}-{time.monotonic_ns()}"
                    self.dir.mkdir()
                    self.usage = usage
                    return
                except OSError:
                    self.dir = None

    def enter(self) -> None:
        """Join the cgroup (run in the command's process, before exec)."""
        if self.dir is not None:
            (self.dir / "cgroup.procs").write_text(str(os.getpid()))

    @property
    def seconds(self) -> float | None:
        """CPU seconds used in the cgroup so far."""
        if self.dir is None:
            return None
        text = (self.dir / self.usage).read_text()
        if self.usage == "cpu.stat":
            return int(dict(line.split() for line in text.splitlines())["usage_usec"]) / 1e6
        return int(text) / 1e9

    def remove(self) -> None:
        """Delete the cgroup (its processes have ended)."""
        if self.dir is not None:
            for _ in range(50):
                try:
                    self.dir.rmdir()
                    return
                except OSError:
                    time.sleep(0.1)


def measured(cmd: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, float | None]:
    """Run a command: (its result, wall seconds, CPU seconds of it and all it started or None)."""
    meter = CpuMeter()
    try:
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=meter.enter, **kwargs)
        took = time.perf_counter() - start
        time.sleep(0.2)  # the sandboxes' last processes are killed after the command exits
        return proc, took, meter.seconds
    finally:
        meter.remove()


def machine_speed() -> str:
    """How fast one core is right now: a fixed Python loop and a fixed small torch training, median of 3 each.

    Printed beside the figures, because this machine is a VM whose host is shared: the same run takes up to
    half as long again when the host is busy, and these two say which state a figure was taken in.
    """
    import torch

    def python_loop() -> float:
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        return time.perf_counter() - start

    def training() -> float:
        torch.manual_seed(0)
        torch.set_num_threads(1)
        data = torch.randn(40, 6)
        layers = torch.nn.Sequential(torch.nn.Linear(6, 2, bias=False), torch.nn.Linear(2, 6, bias=False))
        opt = torch.optim.SGD(layers.parameters(), lr=0.1, weight_decay=1e-3)
        start = time.perf_counter()
        for _ in range(500):
            opt.zero_grad()
            torch.nn.functional.mse_loss(layers(data), data).backward()
            opt.step()
        return time.perf_counter() - start

    loop = sorted(python_loop() for _ in range(3))[1]
    steps = sorted(training() for _ in range(3))[1]
    return f"one core: 2M-step Python loop {loop * 1000:.0f} ms, 500 torch SGD steps {steps * 1000:.0f} ms"


def cpu_text(cpu: float | None, n: int) -> str:
    """'CPU 0.123 s per submission', or nothing where it was not measured."""
    return f" (CPU {cpu / n:.3f} s per submission)" if cpu is not None else ""


# -- ours -------------------------------------------------------------------------------------------------
def write_ours(answers, folder: Path) -> None:
    """One folder per student holding hw.ipynb: the student's code cells."""
    folder.mkdir(parents=True)
    for student, _, cells in answers:
        (folder / student).mkdir()
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nbformat.write(nb, str(folder / student / "hw.ipynb"))


def run_ours(subs: Path, out: Path, jobs: int | None) -> tuple[float, float, dict]:
    """Wall time and CPU time of `grader grade` on the folder, and each student's total."""
    env = dict(os.environ, PYTHONPATH=f"{COURSE}{os.pathsep}{ROOT}", HW7_GRADER_SECRET="bench-secret")
    cmd = [sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--timeout", str(TIMEOUT_S)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    proc, took, cpu = measured(cmd, cwd=out.parent, env=env)
    if proc.returncode != 0:
        sys.exit(f"our grader failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    totals = {}
    with open(out / "grades.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            totals[row["student"]] = float(row["score"])
    return took, cpu, totals


# -- nbgrader ---------------------------------------------------------------------------------------------
TESTS = {
    "mean_of": ("assert abs(mean_of([1, 2, 3, 4]) - 2.5) < 1e-9\n",
                "for xs in ([0.5], [1.25, -0.5], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]):\n"
                "    assert abs(mean_of(xs) - sum(xs) / len(xs)) < 1e-9\n"),
    "softmax": ("x = np.array([1.0, 2.0, 3.0])\ne = np.exp(x - x.max())\n"
                "assert isinstance(softmax(x), np.ndarray) and np.allclose(softmax(x), e / e.sum())\n",
                "x = np.array([805.0, 790.0, 812.0, 799.0, 801.0])\ne = np.exp(x - x.max())\n"
                "assert isinstance(softmax(x), np.ndarray) and np.allclose(softmax(x), e / e.sum())\n"),
    "first_primes": ("assert type(first_primes) is list and first_primes == [2, 3, 5, 7, 11]\n", None),
    "normalize_rows": ("x = np.array([[3.0, 4.0], [1.0, 0.0]])\n"
                       "assert np.allclose(normalize_rows(x), x / np.linalg.norm(x, axis=1, keepdims=True))\n",
                       "x = np.random.default_rng(1).normal(size=(4, 3))\n"
                       "assert np.allclose(normalize_rows(x), x / np.linalg.norm(x, axis=1, keepdims=True))\n"),
}
POINTS = {"mean_of": (1, 1), "softmax": (1, 2), "first_primes": (2, 0), "normalize_rows": (1, 2)}


def _meta(grade_id: str, solution: bool, grade: bool, points: float = 0) -> dict:
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution, "schema_version": 3}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def source_notebook():
    """The instructor's notebook: a solution cell per question, then its public and hidden grade cells."""
    cells = [nbformat.v4.new_code_cell("import numpy as np", metadata=_meta("setup", False, False))]
    for q in QUESTIONS:
        body = VARIANTS[q]["correct"]
        cells.append(nbformat.v4.new_code_cell("### BEGIN SOLUTION\n" + body + "### END SOLUTION",
                                               metadata=_meta(q, True, False)))
        public, hidden = TESTS[q]
        cells.append(nbformat.v4.new_code_cell(public, metadata=_meta(f"{q}_public", False, True, POINTS[q][0])))
        if hidden:
            cells.append(nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\n" + hidden + "### END HIDDEN TESTS",
                                                   metadata=_meta(f"{q}_hidden", False, True, POINTS[q][1])))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def find_nbgrader(given: str | None) -> Path | None:
    """The nbgrader executable: as given, else in .venv-nbgrader/, else beside this Python."""
    for candidate in ([Path(given)] if given else [ROOT / ".venv-nbgrader" / "bin" / "nbgrader",
                                                   Path(sys.executable).with_name("nbgrader")]):
        if candidate.is_file():
            return candidate
    return None


def nbgrader(exe: Path, course: Path, *args: str) -> tuple[float, float | None]:
    """Run one nbgrader command in the course folder, (wall, CPU) seconds; stop the benchmark if it fails."""
    # nbgrader runs `alembic` and the kernel's `python` from PATH: its own venv's.
    env = dict(os.environ, PATH=f"{exe.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("PYTHONPATH", None)
    proc, took, cpu = measured([str(exe), *args], cwd=course, env=env)
    if proc.returncode != 0:
        sys.exit(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return took, cpu


def setup_nbgrader(exe: Path, course: Path) -> None:
    """A course folder with the assignment generated (release notebook made)."""
    (course / "source" / "ps1").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'bench'\n"
        f"c.Execute.timeout = {TIMEOUT_S}\n"
        f"c.ExecutePreprocessor.timeout = {TIMEOUT_S}\n")
    nbformat.write(source_notebook(), str(course / "source" / "ps1" / "hw.ipynb"))
    nbgrader(exe, course, "generate_assignment", "ps1", "--force")


def write_nbgrader(answers, course: Path) -> None:
    """Each student's submission: the release notebook with their code in the solution cells."""
    release = nbformat.read(str(course / "release" / "ps1" / "hw.ipynb"), as_version=4)
    for student, _, cells in answers:
        nb = copy.deepcopy(release)
        by_question = dict(zip(QUESTIONS, cells))
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in by_question:
                cell.source = by_question[grade_id]
        folder = course / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / "hw.ipynb"))
        (folder / "timestamp.txt").write_text("2026-11-27 12:00:00.000000 UTC")


def run_nbgrader(exe: Path, answers, course: Path) -> tuple[float, float, dict]:
    """Wall time and CPU time of `nbgrader autograde` on every submission, and each student's total."""
    write_nbgrader(answers, course)
    took, cpu = nbgrader(exe, course, "autograde", "ps1", "--create", "--force")
    nbgrader(exe, course, "export", "--to", str(course / "grades.csv"))
    totals = {}
    with open(course / "grades.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            totals[row["student_id"]] = float(row["score"])
    return took, cpu, totals


# -- the run ----------------------------------------------------------------------------------------------
def agreement(ours: dict, theirs: dict, students: list[str]) -> str:
    """How many students got the same total from both graders."""
    same = sum(1 for s in students if abs(ours.get(s, -1) - theirs.get(s, -2)) < 1e-6)
    return f"{same}/{len(students)} same total"


def main() -> None:
    """Generate the answers, grade them with both graders, print the figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="answers to generate")
    ap.add_argument("--jobs", type=int, default=None, help="our --jobs (default: cores)")
    ap.add_argument("--nbgrader", help="the nbgrader executable (default: .venv-nbgrader/bin/nbgrader)")
    ap.add_argument("--skip-nbgrader", action="store_true")
    ap.add_argument("--keep", help="keep the generated folders and outputs here")
    args = ap.parse_args()
    exe = None if args.skip_nbgrader else find_nbgrader(args.nbgrader)
    if exe is None and not args.skip_nbgrader:
        print("note: nbgrader not found (make bench-venv); timing our grader alone")
    answers = make_answers(args.n)
    behaved = [a for a in answers if a[1] != "hang"]
    kinds = {k: sum(1 for a in answers if a[1] == k) for k in ("correct", "mixed", "import_error", "hang")}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}; {args.n} answers: {kinds}")
    tmp = Path(args.keep or tempfile.mkdtemp(prefix="hw7-bench-batch-"))
    try:
        figures = {}
        for label, batch in (("all", answers), ("well-behaved", behaved)):
            write_ours(batch, tmp / f"ours-{label}" / "subs")
            took, cpu, totals = run_ours(tmp / f"ours-{label}" / "subs", tmp / f"ours-{label}" / "out", args.jobs)
            figures[("ours", label)] = (took, cpu, len(batch))
            print(f"ours, {label} ({len(batch)}): {took:.1f} s, {took / len(batch):.3f} s per submission"
                  + cpu_text(cpu, len(batch)))
            if exe is not None:
                setup_nbgrader(exe, tmp / f"nbgrader-{label}")
                took_nb, cpu_nb, totals_nb = run_nbgrader(exe, batch, tmp / f"nbgrader-{label}")
                figures[("nbgrader", label)] = (took_nb, cpu_nb, len(batch))
                print(f"nbgrader, {label} ({len(batch)}): {took_nb:.1f} s, {took_nb / len(batch):.3f} s per submission"
                      + cpu_text(cpu_nb, len(batch)) + f"; ours is {took_nb / took:.1f}x its throughput"
                      + (f" and uses {cpu_nb / cpu:.1f}x less CPU" if cpu and cpu_nb else "") + "; "
                      f"{agreement(totals, totals_nb, [a[0] for a in batch if a[1] in ('correct', 'mixed')])}"
                      " among the correct and mixed answers")
        print(json.dumps({f"{g} {label}": {"seconds": round(t, 2), "per_submission": round(t / n, 4),
                                            "cpu_per_submission": round(c / n, 4) if c is not None else None}
                          for (g, label), (t, c, n) in figures.items()}))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
