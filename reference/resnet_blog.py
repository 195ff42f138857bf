"""The accepted facts of resnet_blog as text, for the leak test (grader.secrets). Trusted side only.

The figures and tolerances themselves live in problems/resnet_blog/facts.py (the checks read them there); this
module writes out every spelling a student could give that the checks accept: each time within its tolerance in
seconds, minutes and m:ss, and each accuracy within its tolerance as a fraction and as a percentage.
"""
from __future__ import annotations

import math

from problems.resnet_blog import facts


def _seconds_spellings(seconds: float) -> set:
    """`seconds` written with the units students use: '26 s', '26 seconds', '26 sec'."""
    text = f"{seconds:g}"
    return {f"{text} {unit}" for unit in ("s", "sec", "secs", "second", "seconds")} | {f"time_s: {text}", f"time_s = {text}"}


def time_spellings(fact: facts.TimeFact) -> set:
    """Every spelling of a time the fact accepts: seconds (whole, or tenths below a minute), minutes, m:ss."""
    out = set()
    for figure in fact.accepted:
        lo, hi = figure.seconds * (1 - fact.rel_tol), figure.seconds * (1 + fact.rel_tol)
        step = 1.0 if figure.seconds >= 60 else 0.1
        for i in range(math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9) + 1):
            s = round(i * step, 1)
            out |= _seconds_spellings(s)
            if s >= 60 and s == int(s):
                m, rest = divmod(int(s), 60)
                out |= {f"{m}:{rest:02d}", f"{m} min {rest} s", f"{m} min {rest} sec", f"{m} minutes {rest} seconds",
                        f"{m}m{rest}s"}
        for digits in (1, 2):  # minutes with decimals: "0.43 min" is 25.8 s
            unit = 10.0 ** -digits
            for i in range(math.ceil(lo / 60 / unit - 1e-9), math.floor(hi / 60 / unit + 1e-9) + 1):
                out |= {f"{i * unit:.{digits}f} {u}" for u in ("min", "mins", "minutes")}
    return out


def accuracy_spellings(acc: facts.AccuracyFact) -> set:
    """Every spelling of an accepted accuracy: fractions to three decimals, percentages to one."""
    out = set()
    lo, hi = acc.fraction - acc.abs_tol, acc.fraction + acc.abs_tol
    for i in range(math.ceil(lo * 1000 - 1e-9), math.floor(hi * 1000 + 1e-9) + 1):
        fraction = i / 1000
        percent = f"{fraction * 100:.1f}"
        out |= {f"{fraction:.3f}", f"{percent}%", f"{percent} percent", f"accuracy: {fraction:.3f}"}
        if i % 10 == 0:
            whole = f"{fraction * 100:.0f}"
            out |= {f"{fraction:.2f}", f"{whole}%", f"{whole} percent", f"accuracy: {fraction:.2f}",
                    f"accuracy: {whole}", f"accuracy = {whole}"}
    return out


def accepted_texts() -> dict[str, tuple[str, ...]]:
    """The accepted baseline and final facts, every spelling the checks accept."""
    accuracy = accuracy_spellings(facts.ACCURACY)
    return {"baseline": tuple(sorted(time_spellings(facts.ACCEPTED_BASELINE_TIMES) | accuracy)),
            "final": tuple(sorted(time_spellings(facts.ACCEPTED_FINAL_TIMES) | accuracy))}
