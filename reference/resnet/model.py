"""ResNet-9, the final network of the "How to train your ResNet" series.

prep conv → layer1 (conv, pool, residual block) → layer2 (conv, pool) →
layer3 (conv, pool, residual block) → global max pool → linear head.
"""
from __future__ import annotations

import torch
from torch import nn


def conv_bn(c_in: int, c_out: int, pool: bool = False) -> nn.Sequential:
    """3×3 conv, optional 2×2 max pool, batch norm, ReLU."""
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False)]
    if pool:
        # Pooling before batch norm and ReLU (rather than after) does the same job on a quarter of the pixels.
        layers.append(nn.MaxPool2d(2))
    layers += [nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """x + two conv-bn-relu blocks of x (same width)."""

    def __init__(self, channels: int):
        super().__init__()
        self.res = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The residual sum."""
        return x + self.res(x)


class ResNet9(nn.Module):
    """The blog's 9-layer residual network; `width` is the prep layer's channel count (64 in the blog)."""

    def __init__(self, width: int = 64, num_classes: int = 10, logit_scale: float = 0.125):
        super().__init__()
        w = width
        self.prep = conv_bn(3, w)
        self.layer1 = nn.Sequential(conv_bn(w, 2 * w, pool=True), Residual(2 * w))
        self.layer2 = conv_bn(2 * w, 4 * w, pool=True)
        self.layer3 = nn.Sequential(conv_bn(4 * w, 8 * w, pool=True), Residual(8 * w))
        self.pool = nn.AdaptiveMaxPool2d(1)
        self.head = nn.Linear(8 * w, num_classes, bias=False)
        # The blog scales the logits down (by 1/8): large initial logits slow early training.
        self.logit_scale = logit_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits for a batch of N×3×32×32 normalised images."""
        x = self.layer3(self.layer2(self.layer1(self.prep(x))))
        return self.head(torch.flatten(self.pool(x), 1)) * self.logit_scale
