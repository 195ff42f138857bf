"""Scaling mistake: loss summed over coordinates with weight_decay=lam: minimizer for lam/2."""
import torch
from torch import nn

num_linear_layers = 2
loss_function = "nn.MSELoss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = "For a fixed product the penalty is smallest with balanced factors, so W2 has singular values near 1."


def build_model(m, k):
    """Encoder m -> k and decoder k -> m, both without bias."""
    return nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, m, bias=False))


def train(X, k, lam):
    """Full-batch SGD with the per-sample squared error and weight_decay = lam."""
    torch.manual_seed(0)
    m = X.shape[0]
    data = torch.from_numpy(X).T
    model = build_model(m, k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=lam)
    for _ in range(1500):
        opt.zero_grad()
        ((model(data) - data) ** 2).sum(dim=1).mean().backward()
        opt.step()
    return model[0].weight.detach(), model[1].weight.detach()
