"""Layers keep their default bias: the model is not (6), and on uncentered data it trains to other weights."""
import torch
from torch import nn

num_linear_layers = 2
loss_function = "MSELoss"
needed_to_optimize_exactly = ["weight decay", "sgd optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = "Balanced factors minimize the penalty."


def build_model(m, k):
    """Forgot bias=False."""
    return nn.Sequential(nn.Linear(m, k), nn.Linear(k, m))


def train(X, k, lam):
    """Correct scaling, but the biases absorb the data's mean."""
    torch.manual_seed(0)
    m = X.shape[0]
    data = torch.from_numpy(X).T
    model = build_model(m, k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=2 * lam)
    for _ in range(1500):
        opt.zero_grad()
        ((model(data) - data) ** 2).sum(dim=1).mean().backward()
        opt.step()
    return model[0].weight.detach(), model[1].weight.detach()
