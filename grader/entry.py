"""The `grader` command's entry point: for `grader check`, the sandbox's zygote starts before anything heavy is imported.

Most of a check's time is two start-ups: the zygote importing torch in the
sandbox, and this process importing pytest, numpy, jinja2 and the problems'
checks. Started here, the first overlaps all of the second (on a machine with
two cores or more). Everything else is `grader.cli`'s.
"""
from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys


def early_zygote(argv: list[str]):
    """A zygote launcher already starting, when `argv` is a sandboxed `grader check`; else None."""
    if not argv or argv[0] != "check" or shutil.which("bwrap") is None:
        return None
    peek = argparse.ArgumentParser(add_help=False)
    peek.add_argument("--problem", action="append")
    peek.add_argument("--no-sandbox", action="store_true")
    known, _ = peek.parse_known_args(argv[1:])
    if known.no_sandbox:
        return None
    from grader.errors import GraderError
    from grader.problem import discover, select
    from grader.sandbox import SandboxConfig
    from grader.zygote import ZygoteLauncher, preload_for

    try:
        problems = select(discover(), known.problem or None)
        return problems, ZygoteLauncher(SandboxConfig(use_bwrap=True), preload_for(problems))
    except GraderError:  # a bad --problem, or no zygote here: grader.cli says so, or uses fresh workers
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the `grader` command and return its exit status (safe to call in-process: it never ends the process)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    early = early_zygote(argv)
    gc.disable()  # the imports below make many objects and no garbage: collecting meanwhile is wasted time
    try:
        from grader import cli
    finally:
        gc.enable()

    try:
        return cli.main(argv, early=early)
    finally:
        if early is not None:
            early[1].close()  # idempotent: closed already by the check's session when it took it


def run() -> None:
    """The console script: `main`, then exit; a check skips the interpreter's teardown."""
    argv = sys.argv[1:]
    code = main(argv)
    if argv and argv[0] == "check":
        # Everything a check opened is closed by now; the interpreter's teardown of sympy, pytest and the
        # problems' modules would only add a fifth of a second to every check. Only here, never in `main`:
        # a caller in the same process (a test, a notebook) must get the status back, not lose its process.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
