"""`grader export gradescope ZIP`: the autograder zip in Gradescope's layout (staff-only: it stays on Gradescope).

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once to build
its image, and `run_autograder` once per submission. The zip holds:

- `setup.sh`: installs Python 3.11 and bubblewrap with apt (Gradescope's Ubuntu 22.04
  base image), a virtual environment at `$AUTOGRADER_ROOT/venv`, the CPU build of torch
  and the other Python packages of `requirements.txt`;
- `run_autograder`: grades `/autograder/submission` with the zip's own code
  (`$AUTOGRADER_ROOT/source`) and that environment's Python, and writes
  `/autograder/results/results.json`; whatever fails, a results.json says why;
- the grader, the problems (their checks, hidden ones included) and the references;
- `autograder.json`: the course secret (hidden inputs), the problems, and whether
  messages may name accepted answers; and the course.toml when one was given.

`AUTOGRADER_ROOT` (default /autograder) moves the whole layout, which is how the
tests run `run_autograder` on example submissions in a temporary folder.
"""
from __future__ import annotations

import importlib
import json
import tomllib
import zipfile
from pathlib import Path

from grader.errors import ConfigError

SETTINGS = "autograder.json"
COURSE_FILE = "course.toml"
PACKAGES = ("grader", "problems", "reference")  # the code Gradescope runs: everything the grader imports
TORCH = "torch==2.13.0"  # installed from PyTorch's CPU index (the default wheel pulls gigabytes of CUDA)
EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip
PYTHON_VERSION = "3.11"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04 base image).
# It installs Python {py} and bubblewrap (the sandbox student code runs in), then the grader's Python
# packages into a virtual environment at $AUTOGRADER_ROOT/venv (default /autograder/venv).
set -euo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
SRC="$ROOT/source"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python{py} python{py}-venv bubblewrap ca-certificates
python{py} -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install -q --upgrade pip
# The CPU build of torch: Gradescope's machines have no GPU, and the default wheel pulls CUDA.
"$ROOT/venv/bin/python" -m pip install -q --index-url https://download.pytorch.org/whl/cpu "{torch}"
"$ROOT/venv/bin/python" -m pip install -q -r "$SRC/requirements.txt"
chmod +x "$SRC/run_autograder"
# Say now, in the build log, when the sandbox cannot start in this image: every submission would score 0.
if ! PYTHONPATH="$SRC" "$ROOT/venv/bin/python" -m grader.staff.autograder --root "$ROOT" --self-test; then
  echo "WARNING: the bubblewrap sandbox does not start in this image; run_autograder will give every" >&2
  echo "submission 0 with the reason until it does (student code never runs unconfined)." >&2
fi
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder. It grades /autograder/submission with
# the grader in $AUTOGRADER_ROOT/source and the Python of $AUTOGRADER_ROOT/venv (HW7_AUTOGRADER_PYTHON
# overrides it, for tests and local runs), and writes $AUTOGRADER_ROOT/results/results.json. Whatever
# fails, a results.json is written that says why: a 0 with the reason, never a missing result.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${HW7_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
cd "$ROOT/source" 2>/dev/null || cd "$ROOT"
status=0
if command -v "$PYTHON" >/dev/null 2>&1; then
  PYTHONPATH="$ROOT/source" "$PYTHON" -m grader.staff.autograder --root "$ROOT" || status=$?
else
  echo "run_autograder: no Python at $PYTHON (did setup.sh fail?)"
  status=127
fi
if [ ! -s "$RESULTS" ]; then
  # The grader did not even start (no Python environment, a missing package): still a result, and why.
  cat > "$RESULTS" <<JSON
{"score": 0, "output": "<p>The autograder could not run on this submission (exit status $status); this is not a fault of your work, and the course staff can see why.</p>", "output_format": "html", "stdout_visibility": "hidden", "tests": [], "extra_data": {"autograder_error": "run_autograder: the grader exited with status $status without writing results.json"}}
JSON
fi
exit 0
"""


def _package_dir(name: str) -> Path:
    return Path(importlib.import_module(name).__file__).parent


def source_files() -> list[tuple[Path, str]]:
    """(file, name in the zip) for every file of the grader, the problems and the references (no caches)."""
    out = []
    for package in PACKAGES:
        root = _package_dir(package)
        for f in sorted(root.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo"):
                out.append((f, f"{package}/{f.relative_to(root).as_posix()}"))
    return out


def requirements() -> list[str]:
    """The grader's Python packages other than torch, from pyproject.toml's dependencies."""
    pyproject = _package_dir("grader").parent / "pyproject.toml"
    try:
        deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"expected the grader's pyproject.toml at {pyproject} (its dependencies go into the zip), "
                          f"got {type(exc).__name__}: {exc}") from None
    return [d for d in deps if not d.replace(" ", "").lower().startswith("torch")]


def settings(secret: str, problems: tuple[str, ...], before_due: bool, course: bool) -> dict:
    """autograder.json: what run_autograder needs besides the code."""
    return {"format": 1, "secret": secret, "problems": list(problems), "before_due": before_due,
            "course": COURSE_FILE if course else None}


def _add(zf: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, date_time=EPOCH)
    info.external_attr = (0o100000 | mode) << 16  # a regular file with these permissions
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def build_zip(path: Path, secret: str, problems: tuple[str, ...] = (), course_toml: Path | None = None,
              before_due: bool = True) -> list[str]:
    """Write the autograder zip to `path`; return the names it holds."""
    if not secret:
        raise ConfigError("the autograder zip needs the course secret (it seeds the hidden inputs); set the "
                          "secret's environment variable before exporting")
    names = []
    with zipfile.ZipFile(path, "w") as zf:
        entries = [("setup.sh", SETUP_SH.format(py=PYTHON_VERSION, torch=TORCH).encode(), 0o755),
                   ("run_autograder", RUN_AUTOGRADER.encode(), 0o755),
                   ("requirements.txt", ("\n".join(requirements()) + "\n").encode(), 0o644),
                   (SETTINGS, json.dumps(settings(secret, problems, before_due, course_toml is not None),
                                         indent=1).encode(), 0o600)]
        if course_toml is not None:
            entries.append((COURSE_FILE, Path(course_toml).read_bytes(), 0o644))
        pyproject = _package_dir("grader").parent / "pyproject.toml"
        entries.append(("pyproject.toml", pyproject.read_bytes(), 0o644))
        entries += [(name, f.read_bytes(), 0o644) for f, name in source_files()]
        for name, data, mode in entries:
            _add(zf, name, data, mode)
            names.append(name)
    return names
