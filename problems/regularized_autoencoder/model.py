"""What is wrong with a model from build_model(m, k), read from its ModuleInfo and from running it.

The expected model is exactly two torch.nn.Linear layers without bias, one
m -> k (the encoder W1) and one k -> m (the decoder W2), and nothing else
that changes the computation (no activation, dropout or normalization).
`differences` reads the structure; `forward_differences` reads what the model
did in the sandbox on an m-vector and on a batch: the output must have the
input's shape and equal W2 W1 x, with W1 and W2 the two layers' weights.
"""
from __future__ import annotations

import numpy as np

from grader.types import ModuleInfo, Raised, describe_got

# float32 forward passes of small layers agree with the float64 product to ~1e-6.
FORWARD_RTOL = 1e-4

# Modules that hold no parameters and leave the computation of W2 W1 x unchanged.
HARMLESS = frozenset({"Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten", "Unflatten"})


def is_torch_linear(info: ModuleInfo) -> bool:
    """Whether `info` is a torch.nn.Linear itself (not a subclass defined elsewhere)."""
    return info.type == "Linear" and info.module.startswith("torch.nn")


def linear_shape(info: ModuleInfo) -> tuple[int, int] | None:
    """(in_features, out_features) of a Linear, from its attributes or else its weight's shape."""
    attrs = dict(info.attrs)
    if type(attrs.get("in_features")) is int and type(attrs.get("out_features")) is int:
        return attrs["in_features"], attrs["out_features"]
    for name, shape in info.params:
        if name == "weight" and len(shape) == 2:
            return int(shape[1]), int(shape[0])
    return None


def has_bias(info: ModuleInfo) -> bool:
    """Whether the module owns a bias (a parameter called bias, or the sandbox's has_bias flag)."""
    return any(name == "bias" for name, _ in info.params) or dict(info.attrs).get("has_bias") is True


def label(info: ModuleInfo) -> str:
    """`name: Linear(7->3, bias)`: one module, as shown to the student."""
    name = info.name or "(model)"
    if is_torch_linear(info):
        shape = linear_shape(info)
        dims = f"{shape[0]}->{shape[1]}" if shape else "?"
        return f"{name}: Linear({dims}{', bias' if has_bias(info) else ''})"
    params = ", ".join(f"{p}{tuple(s)}" for p, s in info.params)
    return f"{name}: {info.type}({params})" if params else f"{name}: {info.type}"


def summary(info: ModuleInfo) -> str:
    """The modules that matter (Linear layers, anything with parameters, any non-container leaf), in order."""
    shown = [label(mod) for mod in info.walk()
             if is_torch_linear(mod) or mod.params or (not mod.children and mod.type not in HARMLESS)]
    return "[" + ", ".join(shown) + "]" if shown else "[no layers]"


def differences(info: ModuleInfo, m: int, k: int) -> list[str]:
    """Each way the model differs from Linear(m->k, no bias) then Linear(k->m, no bias); [] when it fits."""
    problems = []
    mods = list(info.walk())
    linears = [mod for mod in mods if is_torch_linear(mod)]
    others_with_params = [mod for mod in mods if mod.params and not is_torch_linear(mod)]
    extra_leaves = [mod for mod in mods
                    if not mod.children and not mod.params and not is_torch_linear(mod) and mod.type not in HARMLESS]

    if len(linears) != 2:
        problems.append(f"{len(linears)} nn.Linear layer{'s' if len(linears) != 1 else ''} instead of 2")
    for mod in linears:
        if has_bias(mod):
            problems.append(f"{label(mod)} has a bias; (6) has none: use bias=False")
    for mod in others_with_params:
        params = ", ".join(p for p, _ in mod.params)
        problems.append(f"{label(mod)} holds parameters ({params}) outside nn.Linear layers")
    for mod in extra_leaves:
        problems.append(f"{label(mod)} is an extra module that (6) does not have")
    if len(linears) == 2:
        shapes = [linear_shape(mod) for mod in linears]
        # Registration order need not be the forward order in a custom module,
        # so either order of the encoder and decoder is accepted.
        if sorted(shapes, key=str) != sorted([(m, k), (k, m)], key=str):
            got = " and ".join(f"{s[0]}->{s[1]}" if s else "?" for s in shapes)
            problems.append(f"layer sizes {got}; expected {m}->{k} (W1) and {k}->{m} (W2)")
    return problems


def _show_shape(shape: tuple) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _encoder_decoder(info: ModuleInfo, m: int, k: int):
    """The weights (W1 of the m->k layer, W2 of the k->m layer), or None when they are not both there."""
    linears = [mod for mod in info.walk() if is_torch_linear(mod)]
    by_shape = {linear_shape(mod): mod for mod in linears}
    enc, dec = by_shape.get((m, k)), by_shape.get((k, m))
    if len(linears) != 2 or enc is None or dec is None:
        return None
    W1, W2 = enc.value("weight"), dec.value("weight")
    return None if W1 is None or W2 is None else (W1, W2)


def forward_differences(info: ModuleInfo, m: int, k: int, runs, compare_values: bool = True) -> list[str]:
    """How the model's forward passes differ from x -> W2 W1 x; `runs` holds (input, outcome) pairs.

    Without `compare_values` only a crash or a wrong output shape is reported (the structure already
    explains why the values differ: a bias, an extra layer).
    """
    problems = []
    weights = _encoder_decoder(info, m, k) if compare_values else None
    linears = [mod for mod in info.walk() if is_torch_linear(mod)]
    for x, out in runs:
        what = f"a {m}-vector" if x.ndim == 1 else f"a batch of shape {_show_shape(x.shape)}"
        if isinstance(out, Raised):
            line = f"calling the model on {what} raised {out.type}: {out.message}"
            if [linear_shape(mod) for mod in linears] == [(k, m), (m, k)]:
                line += (f" (its first layer is {k}->{m}, so an input of size m = {m} does not fit it: the encoder "
                         f"Linear({m}->{k}) comes first, then the decoder Linear({k}->{m}))")
            problems.append(line)
            continue
        if type(out) is not np.ndarray:
            problems.append(f"calling the model on {what} returned {describe_got(out)}, not a tensor")
            continue
        if out.shape != x.shape:
            problems.append(f"on {what} the model returned shape {_show_shape(out.shape)}, not the input's "
                            f"{_show_shape(x.shape)}")
            continue
        if weights is None:
            continue  # the structure above already says what is missing
        W1, W2 = weights
        expected = x.astype(np.float64) @ W1.T @ W2.T  # nn.Linear computes x Wᵀ, one sample per row
        gap = float(np.max(np.abs(out - expected)))
        if not gap <= FORWARD_RTOL * max(1.0, float(np.max(np.abs(expected)))):
            problems.append(f"on {what} the output is not W2 W1 x (off by up to {gap:.3g}): the forward pass must "
                            f"apply the encoder Linear({m}->{k}), then the decoder Linear({k}->{m}), and nothing "
                            "else (no activation, no skip connection)")
    # The first failing run says it; the batch usually fails as the vector did.
    return problems[:1]
