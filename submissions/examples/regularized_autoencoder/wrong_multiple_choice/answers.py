"""Right code, wrong short answers: Dropout chosen, SGD left out, loss and bias question wrong."""
import torch
from torch import nn

num_linear_layers = 2
loss_function = "CrossEntropyLoss"
needed_to_optimize_exactly = ["Weight Decay", "Dropout", "Batch Norm"]
orthonormal_bias = "No, weight decay only shrinks the weights."
orthonormal_argument = "Weight decay shrinks every weight towards zero, so nothing pushes the columns to be orthonormal."


def build_model(m, k):
    """Encoder m -> k and decoder k -> m, both without bias."""
    return nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, m, bias=False))


def train(X, k, lam):
    """Full-batch SGD on the per-sample squared error with weight_decay = 2 lam."""
    torch.manual_seed(2)
    data = torch.from_numpy(X).T
    model = build_model(X.shape[0], k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=2 * lam)
    for _ in range(1500):
        opt.zero_grad()
        ((model(data) - data) ** 2).sum(dim=1).mean().backward()
        opt.step()
    return model[0].weight.detach(), model[1].weight.detach()
