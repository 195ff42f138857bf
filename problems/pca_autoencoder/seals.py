"""What the public checks of Q3b compare with, sealed (grader.seal). Staff-only.

The true gradients, derived by sympy from the loss (reference/pca_autoencoder.py), go
into a student package only as their values at the fixed random points of the equivalence
test and at the small integer points a counterexample is looked for at. The expressions
themselves (to shrink a counterexample further, and for staff tools) are `Live`: course
repository only.
"""
from __future__ import annotations

from functools import lru_cache

from grader.seal import Arrays, Live
from problems.pca_autoencoder import matexpr
from problems.pca_autoencoder.checks import NAMES, SHAPE_OF
from problems.pca_autoencoder.equivalence import Reference, reference_of
from reference import pca_autoencoder as ref


@lru_cache(maxsize=None)
def true_gradient(part: str) -> Reference:
    """The sympy-derived gradient of `part` with its values at every fixed point."""
    tree = matexpr.from_sympy(ref.gradients()[part])
    return reference_of(NAMES[part], matexpr.typecheck(tree, "", SHAPE_OF[part][1]))


def _values(part: str) -> dict:
    r = true_gradient(part)
    return {**{f"draw{i}": v for i, v in enumerate(r.at_draws)},
            **{f"candidate{i}": v for i, v in enumerate(r.at_candidates)}}


def seals() -> dict:
    """The sealed data the public checks read."""
    out = {}
    for part in NAMES:
        out[part] = Arrays(lambda part=part: _values(part))
        out[f"{part} exact"] = Live(lambda part=part: true_gradient(part).exact)
        out[f"{part} typed"] = Live(lambda part=part: true_gradient(part).typed)
    return out
