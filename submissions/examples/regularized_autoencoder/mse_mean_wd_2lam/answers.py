"""Scaling mistake: nn.MSELoss() (mean over the m coordinates too) with weight_decay=2*lam: minimizer for lam*m."""
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
    """Full-batch SGD with nn.MSELoss() and weight_decay = 2 lam."""
    torch.manual_seed(0)
    m = X.shape[0]
    data = torch.from_numpy(X).T
    model = build_model(m, k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05 * m, weight_decay=2 * lam)
    mse = nn.MSELoss()
    for _ in range(1500):
        opt.zero_grad()
        mse(model(data), data).backward()
        opt.step()
    return model[0].weight.detach(), model[1].weight.detach()
