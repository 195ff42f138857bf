"""train converts X to float64 while the layers are float32: torch raises a dtype error."""
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
    """Crashes on the first forward pass."""
    data = torch.tensor(X, dtype=torch.float64).T
    model = build_model(X.shape[0], k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=2 * lam)
    loss = ((model(data) - data) ** 2).sum(dim=1).mean()
    loss.backward()
    opt.step()
    return model[0].weight.detach(), model[1].weight.detach()
