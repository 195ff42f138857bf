"""Wrong layers: three linear layers (m -> k -> k -> m); train is not attempted."""
from torch import nn

num_linear_layers = 3
loss_function = "nn.MSELoss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = "Weight decay keeps the weights balanced."


def build_model(m, k):
    """An extra k -> k layer in the middle."""
    return nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, k, bias=False), nn.Linear(k, m, bias=False))
