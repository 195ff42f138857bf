"""Correct: squared error summed over coordinates and averaged over samples, weight_decay=2*lam."""
import numpy as np
import torch
from torch import nn

num_linear_layers = 2
loss_function = "nn.MSELoss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = (
    "The penalty is the sum of squared singular values of both factors. For a fixed product W2 W1 it is "
    "smallest when the factors are balanced (AM-GM), so W1 = W2^T and the singular values of W2 are "
    "sqrt(1 - lam/s_i), close to 1 for small lam: W2 has nearly orthonormal columns."
)


def build_model(m, k):
    """Encoder m -> k and decoder k -> m, both without bias."""
    return nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, m, bias=False))


def train(X, k, lam):
    """Full-batch SGD on (1/n) sum_i ||x_i - W2 W1 x_i||^2 with weight_decay = 2 lam."""
    torch.manual_seed(0)
    m = X.shape[0]
    data = torch.as_tensor(np.asarray(X, dtype=np.float32)).T  # one sample per row
    model = build_model(m, k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=2 * lam)
    for _ in range(1500):
        opt.zero_grad()
        loss = ((model(data) - data) ** 2).sum(dim=1).mean()
        loss.backward()
        opt.step()
    return model[0].weight.detach(), model[1].weight.detach()
