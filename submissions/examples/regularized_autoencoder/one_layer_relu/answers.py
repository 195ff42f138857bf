"""Wrong layers: one m -> m layer followed by a ReLU; train returns the same matrix twice."""
import numpy as np
import torch
from torch import nn

num_linear_layers = "one"
loss_function = "nn.L1Loss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "no"
orthonormal_argument = ""


def build_model(m, k):
    """A single square layer and an activation."""
    return nn.Sequential(nn.Linear(m, m, bias=False), nn.ReLU())


def train(X, k, lam):
    """Returns an m x m matrix for both factors: the shapes are wrong."""
    W = np.eye(X.shape[0], dtype=np.float32)
    return W, W
