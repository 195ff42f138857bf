"""Correct: minibatch SGD (one pass = 10 batches of 20 samples) with a decaying step, sum loss, weight_decay=2*lam."""
import torch
from torch import nn

num_linear_layers = 2
loss_function = "nn.MSELoss"
needed_to_optimize_exactly = ["Weight Decay", "SGD optimizer"]
orthonormal_bias = "yes"
orthonormal_argument = "Balanced factors minimize the penalty for a fixed product."


def build_model(m, k):
    """Encoder m -> k and decoder k -> m, both without bias."""
    return nn.Sequential(nn.Linear(m, k, bias=False), nn.Linear(k, m, bias=False))


def train(X, k, lam):
    """Minibatches in a fixed shuffled order; the step decays so the noise dies out."""
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    data = torch.from_numpy(X).T
    n = data.shape[0]
    model = build_model(X.shape[0], k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=2 * lam)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1.0 / (1.0 + 0.02 * epoch))
    for epoch in range(400):
        for idx in torch.randperm(n, generator=g).split(20):
            batch = data[idx]
            opt.zero_grad()
            ((model(batch) - batch) ** 2).sum(dim=1).mean().backward()
            opt.step()
        sched.step()
    return model[0].weight.detach(), model[1].weight.detach()
