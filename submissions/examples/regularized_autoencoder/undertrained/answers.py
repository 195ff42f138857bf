"""Right scaling, but only 30 steps of SGD: training stops far from the minimizer."""
import torch
from torch import nn

num_linear_layers = 2
loss_function = "nn.MSELoss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = "Balanced factors minimize the penalty."


def build_model(m, k):
    """Encoder m -> k and decoder k -> m, both without bias."""
    return nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, m, bias=False))


def train(X, k, lam):
    """Too few steps."""
    torch.manual_seed(0)
    data = torch.from_numpy(X).T
    model = build_model(X.shape[0], k)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, weight_decay=2 * lam)
    for _ in range(30):
        opt.zero_grad()
        ((model(data) - data) ** 2).sum(dim=1).mean().backward()
        opt.step()
    return model[0].weight.detach(), model[1].weight.detach()
