"""The worker that runs inside the sandbox: it imports the submission once and answers requests.

Runs as a script (`python -I -B sandbox_worker.py REQ_FD REP_FD`) in a separate,
confined process; it must not import anything from the grader but `wire`,
which is copied beside it. Requests and replies travel over two pipes that are
not stdout/stderr, so whatever the submission prints cannot be mistaken for a
reply. Every reply is plain data (see `wire.encode`).
"""
from __future__ import annotations

import linecache
import os
import sys
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import wire  # noqa: E402  (the codec copied beside this file)

MAX_REQUEST = 1 << 31
TRACEBACK_CAP = 4000


def student_traceback(exc: BaseException) -> str:
    """The traceback of `exc` without the worker's own frames, capped."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.dirname(os.path.abspath(f.filename)) != HERE]
    text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))
    return text if len(text) <= TRACEBACK_CAP else "...\n" + text[-TRACEBACK_CAP:]


def load(cells: list, stop_on_error: bool) -> dict:
    """Run the submission's code cells into a fresh module `answers`; report what failed."""
    module = types.ModuleType("answers")
    module.__file__ = os.path.join(os.getcwd(), "answers.py")
    sys.modules["answers"] = module
    errors = []
    for label, source in cells:
        lines = source.splitlines(keepends=True)
        linecache.cache[label] = (len(source), None, lines, label)  # so tracebacks show the student's lines
        try:
            code = compile(source, label, "exec")
            # Student code runs here, inside the sandbox, by design.
            exec(code, module.__dict__)  # noqa: S102
        except BaseException as exc:  # SystemExit and KeyboardInterrupt at import are reported too
            errors.append({"cell": label, "error": student_traceback(exc), "type": type(exc).__name__})
            if stop_on_error:
                break
    names = {}
    for name, value in list(vars(module).items()):
        if name.startswith("__"):
            continue
        names[name] = "function" if callable(value) and not isinstance(value, type) else type(value).__name__
    return {"names": names, "errors": errors}


def raised(exc: BaseException) -> dict:
    """An exception of student code as plain data."""
    return {"raised": {"type": type(exc).__name__, "message": str(exc)[:500], "traceback": student_traceback(exc)}}


def call(namespace: dict, name: str, args, kwargs, then: list | None = None) -> dict:
    """Call the submission's function `name`; its return value or its exception as plain data.

    `then` lists argument lists to call the *returned* object with (a model's
    forward pass, say); each outcome comes back under "then", in order.
    """
    if name not in namespace:
        return {"missing": True}
    fn = namespace[name]
    if not callable(fn):
        return {"not_callable": type(fn).__name__}
    try:
        result = fn(*args, **kwargs)
    except BaseException as exc:
        return raised(exc)
    reply = encoded(result)
    if then is not None and "value" in reply:
        reply["then"] = [call_result(result, step_args) for step_args in then]
    return reply


def call_result(result, args: list) -> dict:
    """Call what the student's function returned with `args`; the outcome as plain data."""
    if not callable(result):
        return {"not_callable": type(result).__name__}
    try:
        value = result(*wire.in_dtype_of(result, args))
    except BaseException as exc:
        return raised(exc)
    return encoded(value)


def encoded(value) -> dict:
    """`{"value": ...}`, or the exception that reading the value raised (it may run student code)."""
    try:
        return {"value": wire.encode(value)}
    except BaseException as exc:
        return {"raised": {"type": type(exc).__name__, "message": f"while reading the value: {exc}"[:500],
                           "traceback": student_traceback(exc)}}


def as_tensor(array):
    """An array argument as a torch tensor (torch is imported only when a request sends one)."""
    import torch

    return torch.from_numpy(array)


def main(req_fd: int, rep_fd: int) -> None:
    """Serve requests until told to stop or the pipe closes."""
    namespace: dict = {}
    hooks: dict = {}
    hooks["__tensor__"] = lambda o: as_tensor(wire.decode(o["__tensor__"], hooks))
    while True:
        try:
            req = wire.read_frame(req_fd, MAX_REQUEST)
        except EOFError:
            return
        op = req.get("op")
        if op == "load":
            sys.path.insert(0, req.get("path", os.getcwd()))
            inputs = req.get("inputs")
            if inputs:
                hooks["__npyfile__"] = lambda o, d=inputs: wire.load_npy_file(d, o["__npyfile__"])
            reply = load(req["cells"], bool(req.get("stop_on_error", True)))
            namespace = vars(sys.modules["answers"])
        elif op == "get":
            name = req["name"]
            reply = {"missing": True} if name not in namespace else encoded(namespace[name])
        elif op == "call":
            try:
                args = wire.decode(req.get("args", []), hooks)
                kwargs = wire.decode(req.get("kwargs", {"__dict__": []}), hooks)
                then = None if req.get("then") is None else [wire.decode(a, hooks) for a in req["then"]]
            except (wire.WireError, OSError, ValueError, ImportError) as exc:
                reply = {"protocol_error": f"could not read the arguments: {exc}"}
            else:
                reply = call(namespace, req["name"], args, kwargs, then)
        elif op == "bye":
            return
        else:
            reply = {"protocol_error": f"unknown op {op!r}"}
        sys.stdout.flush()
        sys.stderr.flush()
        wire.write_frame(rep_fd, reply)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # no interpreter teardown: torch's takes most of a second, and nothing is left to save
