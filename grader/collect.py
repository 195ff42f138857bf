"""Stage 2, collect: the student's answers, fetched from a sandboxed worker on demand.

`Answers` is what claims see as the `answers` fixture. It starts the worker
lazily, imports the submission once, and restarts the worker (re-importing)
after a request that hung or crashed, so one bad part costs only that part.
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader import wire
from grader.counterexamples import python_literal
from grader.errors import FormatError, GraderError, NotAnswered, StudentCrash, StudentFault
from grader.model import Submission
from grader.sandbox import INPUTS_IN_SANDBOX, SandboxConfig, Worker, WorkerDied
from grader.transcripts.marks import check_verdict
from grader.types import CallableRef, ModuleInfo, Raised, Spec, Unsupported, short_repr

MAX_RESTARTS = 3
# A function that ran out of time is called again by later claims (a hang on one input should not cost
# the claims about other inputs), but not after this many hangs: each one costs the full timeout.
MAX_HANGS = 2


def _module_info(obj: dict) -> ModuleInfo:
    d = obj["__module__"]
    return _module_from(d)


def _module_from(d: dict) -> ModuleInfo:
    values = []
    for n, v in d.get("values", []):
        arr = wire.decode(v)
        if type(arr) is not np.ndarray:
            raise wire.WireError("a module parameter's value is not an array")
        values.append((str(n), arr))
    return ModuleInfo(type=str(d["type"]), module=str(d["module"]), name=str(d["name"]),
                      params=tuple((str(n), tuple(int(x) for x in s)) for n, s in d["params"]),
                      attrs=tuple((str(k), tuple(v) if type(v) is list else v) for k, v in d["attrs"]),
                      children=tuple(_module_from(c) for c in d["children"]), values=tuple(values))


HOOKS = {
    "__module__": _module_info,
    "__unsupported__": lambda o: Unsupported(str(o["__unsupported__"]), str(o.get("repr", ""))[:300]),
    "__callable__": lambda o: CallableRef(str(o["__callable__"])),
}


def format_call(name: str, args: tuple, kwargs: dict) -> str:
    """`name(arg, ..., key=value)` with capped reprs, for messages."""
    parts = [_arg_repr(a) for a in args] + [f"{k}={_arg_repr(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _arg_repr(value) -> str:
    if isinstance(value, np.ndarray):
        # A small array in full, as Python that rebuilds it; a big one by its dtype and shape only.
        return f"<{value.dtype} array {value.shape}>" if value.size > 12 else python_literal(value)
    if isinstance(value, wire.TensorArg):
        return f"torch.from_numpy({_arg_repr(value.array)})"
    return short_repr(value, 80)


@dataclass
class ImportResult:
    """What importing the submission gave: the names it defines, and its errors."""

    names: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    died: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the import did not complete."""
        return bool(self.errors) or self.died is not None

    def describe(self) -> str | None:
        """The import error, in words, or None."""
        if self.died:
            return f"the submission's process {self.died} while being imported"
        if self.errors:
            return "\n".join(f"{e['cell']}: {e['error']}" for e in self.errors)
        return None


class Answers:
    """The student's answers, read through a sandboxed worker (the `answers` fixture)."""

    def __init__(self, submission: Submission, config: SandboxConfig):
        self.submission = submission
        self.config = config
        self.worker: Worker | None = None
        self.restarts = 0
        self.outputs: list[str] = []
        self.output_notes: list[str] = []  # for the student: that a worker's output was cut
        self.imported: ImportResult | None = None
        self.static = dict(submission.static_answers)
        self.hung: dict[str, list[str]] = {}  # function name -> the calls of it that ran out of time
        self.inputs: Path | None = None  # where big arguments are saved for the worker (made on first use)
        self.verdicts: dict[str, tuple[str, str]] = {}  # transcript place -> (verdict, note), given by checks
        self._spilled = 0

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> ImportResult:
        """Import the submission in a new worker, once; later calls return the first result."""
        if self.imported is None:
            self.imported = self._spawn()
        return self.imported

    def _spawn(self) -> ImportResult:
        """Start a worker and import the submission in it (the worker is retired if it dies doing so)."""
        if not self.submission.cells:
            return ImportResult(names={k: type(v).__name__ for k, v in self.static.items()})
        if self.inputs is None:
            self.inputs = Path(tempfile.mkdtemp(prefix="hw7-inputs-"))
            self.inputs.chmod(0o755)
        self.worker = Worker(self.submission.path, self.config, self.inputs)
        msg = {"op": "load", "cells": [list(c) for c in self.submission.cells], "stop_on_error": True,  # like "Run All": a failing cell stops the run
               "path": "/submission" if self.config.use_bwrap else str(self.submission.path.resolve()),
               "inputs": INPUTS_IN_SANDBOX if self.config.use_bwrap else str(self.inputs)}
        try:
            reply = self.worker.request(msg, self.config.limits.import_s)
        except WorkerDied as exc:
            self._retire()
            return ImportResult(died=str(exc))
        return ImportResult(names=dict(reply.get("names", {})), errors=list(reply.get("errors", [])))

    def _retire(self) -> None:
        if self.worker is not None:
            self.outputs.append(self.worker.close())
            if self.worker.output_note and not self.output_notes:  # once, not again for each restart
                self.output_notes.append(self.worker.output_note)
            self.worker = None

    def close(self) -> str:
        """Stop the worker; return everything the submission printed (capped)."""
        self._retire()
        if self.inputs is not None:
            shutil.rmtree(self.inputs, ignore_errors=True)
            self.inputs = None
        return "\n".join(o for o in self.outputs if o)

    def _ensure_worker(self) -> None:
        """A live worker for the next request: after one died (a hang, a crash), a fresh import."""
        self.start()
        if self.worker is not None:
            return
        if self.restarts >= MAX_RESTARTS:
            raise StudentCrash(f"not run: the submission's process was restarted {MAX_RESTARTS} times already")
        self.restarts += 1
        fresh = self._spawn()
        if self.worker is None:
            raise StudentCrash(f"not run: the submission's process could not be restarted ({fresh.describe()})")

    # -- what claims use ----------------------------------------------------------------------------
    @property
    def gpu(self) -> bool:
        """Whether the sandbox is given the GPU (grading with --gpu), for parts that time training."""
        return self.config.gpu

    def has(self, name: str) -> bool:
        """Whether the submission defines `name`."""
        if self.submission.kind == "transcript":
            return name in self.static
        return name in self.start().names

    def _require(self, name: str) -> None:
        imported = self.start()
        if imported.failed and self.submission.kind == "module":
            raise NotAnswered(f"{name} is not answered: the submission failed to import ({_first_line(imported.describe())})")
        if name not in imported.names and name not in self.static:
            if self.submission.kind == "transcript":
                raise NotAnswered(f"{name} is not answered: no answer for it was found in the transcript")
            if imported.failed:
                raise NotAnswered(f"{name} is not answered: it was not defined before the error in "
                                  f"{_first_line(imported.describe())}")
            raise NotAnswered(f"{name} is not answered (the submission does not define it)")

    def value(self, name: str, spec: Spec | None = None):
        """The plain value bound to `name`, checked against `spec` when given."""
        if name in self.static:
            value = self.static[name]
        else:
            self._require(name)
            value = self._fetch({"op": "get", "name": name}, name, timeout=self.config.limits.import_s)
        if isinstance(value, CallableRef) and spec is not None:
            raise FormatError(f"{name}: expected {spec.describe()}, got a function")
        if spec is not None:
            spec.check(value, name)
        return value

    def from_chat(self, name: str):
        """Plain data a transcript's extractor gave the checks (derivation steps, say); NotAnswered for code.

        Only a chat transcript has such data: a name that a module happens to define is never read here.
        """
        if self.submission.kind != "transcript" or name not in self.static:
            raise NotAnswered(f"{name} comes from a chat transcript; this submission "
                              + ("has none" if self.submission.kind == "transcript" else "is code, not a chat"))
        return self.static[name]

    def mark(self, key: str, verdict: str, note: str = "") -> None:
        """Record a check's verdict (holds, fails, unread) on a place of the transcript, shown in transcript.html."""
        self.verdicts[key] = (check_verdict(verdict), str(note))

    def call(self, name: str, *args, timeout: float = 10.0, **kwargs):
        """Call the submission's function `name` in the sandbox; its return value as plain data."""
        if self.submission.kind == "transcript":
            raise NotAnswered(f"{name} is code, which a transcript cannot answer: submit answers.py or a notebook")
        self._require(name)
        if len(self.hung.get(name, ())) >= MAX_HANGS:
            raise StudentCrash(f"{format_call(name, args, kwargs)}: not run, because {MAX_HANGS} earlier calls ran out "
                               f"of time: {'; '.join(self.hung[name])}")
        msg = {"op": "call", "name": name, "args": wire.encode(list(args), spill=self._spill),
               "kwargs": wire.encode(dict(kwargs), spill=self._spill)}
        try:
            return self._fetch(msg, format_call(name, args, kwargs), timeout)
        except StudentCrash as exc:
            if exc.timed_out:
                self.hung.setdefault(name, []).append(exc.message.splitlines()[0])
            raise

    def call_then(self, name: str, args: tuple, then: tuple, timeout: float = 10.0) -> tuple:
        """Call `name(*args)` in the sandbox, then call what it returned with each argument tuple of `then`.

        Returns (the returned object as plain data, one outcome per `then` entry:
        its result as plain data, or `Raised`). Use `wire.TensorArg(array)` for an
        argument the student's code should get as a torch tensor (a model's input).
        Student code (the function and the object it returns) runs only in the sandbox.
        """
        if self.submission.kind == "transcript":
            raise NotAnswered(f"{name} is code, which a transcript cannot answer: submit answers.py or a notebook")
        self._require(name)
        what = format_call(name, args, {})
        if len(self.hung.get(name, ())) >= MAX_HANGS:
            raise StudentCrash(f"{what}: not run, because {MAX_HANGS} earlier calls ran out "
                               f"of time: {'; '.join(self.hung[name])}")
        msg = {"op": "call", "name": name, "args": wire.encode(list(args), spill=self._spill),
               "kwargs": wire.encode({}), "then": [wire.encode(list(a), spill=self._spill) for a in then]}
        try:
            value, reply = self._fetch(msg, what, timeout, full=True)
        except StudentCrash as exc:
            if exc.timed_out:
                self.hung.setdefault(name, []).append(exc.message.splitlines()[0])
            raise
        steps = reply.get("then")
        if type(steps) is not list or len(steps) != len(then):
            raise StudentCrash(f"{what}: the submission's process sent an unexpected reply")
        return value, tuple(self._outcome(step, f"{what}(...)") for step in steps)

    def _outcome(self, step, what: str):
        """One `then` step's reply: its plain value, or Raised."""
        if type(step) is not dict:
            raise StudentCrash(f"{what}: the submission's process sent an unexpected reply")
        if "raised" in step:
            r = step["raised"]
            return Raised(str(r.get("type")), str(r.get("message")))
        if "not_callable" in step:
            return Raised("TypeError", f"the returned {step['not_callable']} object is not callable")
        if "value" not in step:
            raise StudentCrash(f"{what}: the submission's process sent an unexpected reply")
        try:
            return wire.decode(step["value"], HOOKS)
        except (wire.WireError, KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{what}: the value could not be read as plain data ({exc})") from exc

    def _spill(self, arr: np.ndarray) -> str:
        """Save a big argument where the worker can read it; return its file name."""
        assert self.inputs is not None
        self._spilled += 1
        name = f"arg{self._spilled}.npy"
        np.save(self.inputs / name, arr, allow_pickle=False)
        (self.inputs / name).chmod(0o644)
        return name

    def _fetch(self, msg: dict, what: str, timeout: float, full: bool = False):
        """The decoded value of a request's reply (with `full`: (value, the whole reply))."""
        self._ensure_worker()
        assert self.worker is not None
        try:
            reply = self.worker.request(msg, timeout)
        except WorkerDied as exc:
            self._retire()
            crash = StudentCrash(f"{what}: the submission's process {exc}")
            crash.timed_out = exc.timed_out
            raise crash from exc
        if "protocol_error" in reply:
            # The grader sent something the worker could not read: our fault, never the student's.
            raise GraderError(f"{what}: {reply['protocol_error']}")
        if "raised" in reply:
            r = reply["raised"]
            raise StudentCrash(f"{what} raised {r.get('type')}: {r.get('message')}\n{r.get('traceback', '')}".rstrip())
        if "not_callable" in reply:
            raise FormatError(f"{msg['name']}: expected a function, got a value of type {reply['not_callable']}")
        if "missing" in reply:
            raise NotAnswered(f"{msg['name']} is not answered (the submission does not define it)")
        if "value" not in reply:
            raise StudentCrash(f"{what}: the submission's process sent an unexpected reply")
        try:
            value = wire.decode(reply["value"], HOOKS)
        except (wire.WireError, KeyError, TypeError, ValueError) as exc:
            raise FormatError(f"{what}: the value could not be read as plain data ({exc})") from exc
        return (value, reply) if full else value


def _first_line(text: str | None) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else "unknown error"


RESPONSE_CAP = 10_000  # characters of a free response kept for the TA (an essay of 100 words is ~700)


def free_responses(answers: Answers, problems) -> tuple:
    """((problem, part, text), ...) for each manual part answered with a string, capped, for the TA's pages.

    A part whose answer is missing, not a string, or cannot be fetched any more
    is left out: its checks already say what is wrong with it.
    """
    out = []
    for problem in problems:
        for part in problem.parts:
            if part.kind != "manual":
                continue
            try:
                text = answers.value(part.name)
            except StudentFault:  # missing, or no longer fetchable
                continue
            if type(text) is str:
                if len(text) > RESPONSE_CAP:
                    text = text[:RESPONSE_CAP] + f"\n... ({len(text) - RESPONSE_CAP} more characters not shown)"
                out.append((problem.name, part.name, text))
    return tuple(out)
