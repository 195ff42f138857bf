"""build_model with the right layers in the wrong order: Linear(k, m) then Linear(m, k).

Read as a list of modules it has "two bias-free linear layers, m->k and k->m", and it used to pass; run on an
m-vector it fails at once (the first layer takes k inputs). The short answers are right; train is left out.
"""
from torch import nn

num_linear_layers = 2
loss_function = "nn.MSELoss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = "Balanced factors minimize the penalty for a fixed product, so sigma_i(W2) = sqrt(1 - lam/s_i)."


def build_model(m, k):
    """Decoder first by mistake."""
    return nn.Sequential(nn.Linear(k, m, bias=False), nn.Linear(m, k, bias=False))
