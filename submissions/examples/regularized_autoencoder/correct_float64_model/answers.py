"""Correct, in float64: the model is made .double() and trained on X converted to float64.

The grader's forward pass gives a float64 model float64 inputs, so build_model earns its points."""
import torch
from torch import nn

num_linear_layers = 2
loss_function = "torch.nn.MSELoss()"
needed_to_optimize_exactly = ["weight decay", "SGD"]
orthonormal_bias = "Yes."
orthonormal_argument = "Balanced factors minimize the penalty for a fixed product, so sigma_i(W2) = sqrt(1 - lam/s_i)."


class AutoEncoder(nn.Module):
    """x -> W2 W1 x."""

    def __init__(self, m, k):
        super().__init__()
        self.encoder = nn.Linear(m, k, bias=False)
        self.decoder = nn.Linear(k, m, bias=False)

    def forward(self, x):
        """Encode, then decode."""
        return self.decoder(self.encoder(x))


def build_model(m, k):
    """The two bias-free linear layers, as a custom module, in double precision."""
    return AutoEncoder(m, k).double()


def train(X, k, lam):
    """MSELoss divides by m as well, so the weight decay is divided by m and the step multiplied by m."""
    torch.manual_seed(1)
    m = X.shape[0]
    data = torch.from_numpy(X).double().T
    model = build_model(m, k)
    opt = torch.optim.SGD(model.parameters(), lr=0.05 * m, weight_decay=2 * lam / m)
    mse = nn.MSELoss()
    for _ in range(1500):
        opt.zero_grad()
        mse(model(data), data).backward()
        opt.step()
    return model.encoder.weight.detach().numpy(), model.decoder.weight.detach().numpy()
