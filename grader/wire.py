"""The codec between the grader and the sandbox worker: framed JSON, plain data only.

This file runs on both sides and is copied into the sandbox beside the worker,
so it imports nothing from the grader (stdlib, and numpy when arrays cross).
Encoding keeps exact types: a `str` subclass, a list-like object or an ndarray
subclass is not encoded as the plain type it imitates, but as `__unsupported__`.
Arrays cross as .npy bytes and are loaded with `allow_pickle=False`.
"""
from __future__ import annotations

import base64
import io
import json
import math
import os
import struct

MAX_DEPTH = 32
MAX_ITEMS = 2_000_000  # Python objects in one value; arrays count as one each
SPILL_BYTES = 1 << 20  # arrays at least this big travel as .npy files, not inside the JSON frame
REPR_CAP = 200
PARAM_VALUES_CAP = 1 << 16  # entries of a module parameter sent with its value (bigger ones: shape only)
PARAM_VALUES_TOTAL = 1 << 18  # entries sent with their values for a whole module (the rest: shapes only)


class WireError(Exception):
    """A frame or value that does not follow the protocol."""


def write_frame(fd: int, obj) -> None:
    """Send one JSON object, length-prefixed."""
    data = json.dumps(obj, allow_nan=False).encode("utf-8")
    view = memoryview(struct.pack(">Q", len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    """Read exactly n bytes, or raise EOFError."""
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int):
    """Receive one JSON object; refuse frames over `max_bytes`."""
    (size,) = struct.unpack(">Q", read_exact(fd, 8))
    if size > max_bytes:
        raise WireError(f"a reply of {size} bytes is over the limit of {max_bytes}")
    try:
        return json.loads(read_exact(fd, size).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WireError(f"a reply is not valid JSON: {exc}") from exc


def _capped_repr(value) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # repr itself is student code here; its failure is just described
        text = f"<repr failed: {type(exc).__name__}>"
    return text if len(text) <= REPR_CAP else text[: REPR_CAP - 3] + "..."


def _float(v: float):
    if math.isfinite(v):
        return v
    return {"__float__": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}


def _array(arr) -> dict:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return {"__ndarray__": base64.b64encode(buf.getvalue()).decode("ascii")}


class TensorArg:
    """An array argument that the worker hands to the student's code as a torch tensor (same dtype).

    Only the grader builds these (e.g. the input of a forward pass); on the way
    back a `__tensor__` tag is refused, since results cross as arrays. A torch
    module is given them in its own floating dtype (`in_dtype_of`).
    """

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def in_dtype_of(model, args: list) -> list:
    """`args` with their floating tensors in the floating dtype of `model`'s parameters, when it is a torch module.

    The grader's inputs are float32, as torch's default; a model the student made float64 (`.double()`) is just
    as right, and is given float64 inputs rather than failing on the mismatch. May run student code.
    """
    torch = _torch_if_loaded()
    if torch is None or not isinstance(model, torch.nn.Module):
        return args
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), None)
    if dtype is None:
        return args
    return [a.to(dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args]


def describe_module(mod, name: str = "", depth: int = 0, _left: list | None = None) -> dict:
    """A torch.nn.Module as plain data: class, own parameters (shapes, and values when small), attributes, children."""
    left = _left if _left is not None else [PARAM_VALUES_TOTAL]
    own = list(mod.named_parameters(recurse=False))
    params = [[n, list(p.shape)] for n, p in own]
    # Small parameters travel with their values, so that a check can compare a forward pass with W2 W1 x.
    values = []
    for n, p in own:
        if p.numel() <= min(PARAM_VALUES_CAP, left[0]):
            left[0] -= p.numel()
            values.append([n, _array(p.detach().cpu().double().numpy())])
    attrs = []
    for key in ("in_features", "out_features", "in_channels", "out_channels", "kernel_size", "stride",
                "padding", "num_features", "p", "normalized_shape", "eps"):
        if key in vars(mod):
            v = vars(mod)[key]
            if type(v) in (int, float, bool, str):
                attrs.append([key, v])
            elif type(v) is tuple and all(type(x) is int for x in v):
                attrs.append([key, list(v)])
    attrs.append(["has_bias", getattr(mod, "bias", None) is not None])
    children = []
    if depth < MAX_DEPTH:
        children = [describe_module(c, n, depth + 1, left) for n, c in mod.named_children()]
    return {"type": type(mod).__name__, "module": type(mod).__module__, "name": name,
            "params": params, "values": values, "attrs": attrs, "children": children}


def encode(value, _depth: int = 0, _budget: list | None = None, spill=None):
    """Encode a value as tagged JSON, keeping exact types; anything else is `__unsupported__`.

    `spill`, when given, takes a big array and returns the file name it was
    saved under; the array is then sent as `{"__npyfile__": name}`.
    """
    budget = _budget if _budget is not None else [MAX_ITEMS]
    budget[0] -= 1
    if budget[0] < 0 or _depth > MAX_DEPTH:
        return {"__unsupported__": "value too large or too deeply nested", "repr": ""}
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is TensorArg:
        return {"__tensor__": encode(value.array, _depth + 1, budget, spill)}
    if t is float:
        return _float(value)
    if t is list:
        return [encode(v, _depth + 1, budget, spill) for v in value]
    if t is tuple:
        return {"__tuple__": [encode(v, _depth + 1, budget, spill) for v in value]}
    if t is dict:
        if all(type(k) is str for k in value):
            return {"__dict__": [[k, encode(v, _depth + 1, budget, spill)] for k, v in value.items()]}
        return {"__unsupported__": "dict with non-string keys", "repr": _capped_repr(value)}
    np = _numpy_if_loaded()
    if np is not None:
        if t is np.ndarray:
            if value.dtype.kind in "biuf":
                if spill is not None and value.nbytes >= SPILL_BYTES:
                    return {"__npyfile__": spill(value)}
                return _array(value)
            return {"__unsupported__": f"array of dtype {value.dtype}", "repr": _capped_repr(value)}
        if t in (np.bool_,):
            return bool(value)
        if isinstance(value, np.generic) and t.__module__ == "numpy":
            if value.dtype.kind in "iu":
                return int(value)
            if value.dtype.kind == "f":
                return _float(float(value))
    torch = _torch_if_loaded()
    if torch is not None:
        if t is torch.Tensor or t is torch.nn.Parameter:
            tensor = value.detach().cpu()
            if tensor.dtype in (torch.bfloat16, torch.float16):
                tensor = tensor.float()
            if tensor.dtype.is_complex:
                return {"__unsupported__": f"tensor of dtype {tensor.dtype}", "repr": ""}
            return _array(tensor.numpy())
        if isinstance(value, torch.nn.Module):
            return {"__module__": describe_module(value)}
    if callable(value) and hasattr(value, "__name__") and type(value).__name__ in ("function", "builtin_function_or_method"):
        return {"__callable__": getattr(value, "__name__", "")}
    return {"__unsupported__": f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__,
            "repr": _capped_repr(value)}


def _numpy_if_loaded():
    import sys

    return sys.modules.get("numpy")


def _torch_if_loaded():
    import sys

    mod = sys.modules.get("torch")
    return mod if mod is not None and hasattr(mod, "Tensor") else None


def load_npy_file(folder: str, name) -> "object":
    """An array sent as a file: only a plain file name inside `folder`, never pickled."""
    import numpy as np

    if type(name) is not str or not name.endswith(".npy") or "/" in name or name.startswith("."):
        raise WireError(f"bad array file name {name!r}")
    arr = np.load(os.path.join(folder, name), allow_pickle=False)
    if type(arr) is not np.ndarray or arr.dtype.kind not in "biuf":
        raise WireError("array file of an unexpected kind")
    return arr


def decode(obj, hooks: dict | None = None, _depth: int = 0):
    """Decode tagged JSON into plain values; `hooks` builds the tags only one side knows."""
    if _depth > MAX_DEPTH + 2:
        raise WireError("value nested too deeply")
    if type(obj) is list:
        return [decode(v, hooks, _depth + 1) for v in obj]
    if type(obj) is not dict:
        return obj
    if len(obj) == 1 and "__tuple__" in obj:
        return tuple(decode(v, hooks, _depth + 1) for v in obj["__tuple__"])
    if len(obj) == 1 and "__dict__" in obj:
        out = {}
        for pair in obj["__dict__"]:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                raise WireError("malformed dict entry")
            out[pair[0]] = decode(pair[1], hooks, _depth + 1)
        return out
    if len(obj) == 1 and "__float__" in obj:
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[obj["__float__"]]
    if len(obj) == 1 and "__ndarray__" in obj:
        import numpy as np

        try:
            arr = np.load(io.BytesIO(base64.b64decode(obj["__ndarray__"], validate=True)), allow_pickle=False)
        except (ValueError, TypeError, OSError) as exc:
            raise WireError(f"malformed array: {exc}") from exc
        if type(arr) is not np.ndarray or arr.dtype.kind not in "biuf":
            raise WireError("array of an unexpected kind")
        return arr
    for tag in ("__module__", "__unsupported__", "__callable__", "__npyfile__", "__tensor__"):
        if tag in obj:
            if hooks and tag in hooks:
                return hooks[tag](obj)
            raise WireError(f"unexpected {tag} value")
    raise WireError(f"unknown object with keys {sorted(obj)[:5]}")
