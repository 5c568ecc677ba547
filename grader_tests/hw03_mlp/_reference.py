"""Trusted helpers, run in the grader: data, batches of a student loader, and a forward
pass rebuilt from a returned model's parameters."""

import torch
import torch.nn.functional as F


def toy_problem(seed, n=120, features=10, classes=3, shift=0.0, scale=1.0):
    """Inputs (n, features) and labels from a fixed linear rule: learnable in a few epochs."""
    g = torch.Generator().manual_seed(seed)
    X = shift + scale * torch.randn(n, features, generator=g)
    W = torch.randn(features, classes, generator=torch.Generator().manual_seed(1234))
    y = ((X - shift) / scale @ W).argmax(dim=1)
    return X, y


def batches(loader):
    """All (x, y) batches of one pass over a student loader (a handle in the worker)."""
    n = loader.__len__()
    it = loader.__iter__()
    return [it.__next__() for _ in range(n)]


def linear_layers(snapshot):
    """[(weight, bias), ...] of the Linear layers, in order, from a ModuleSnapshot."""
    params = list(snapshot.parameters.items())
    layers = []
    i = 0
    while i < len(params):
        name, p = params[i]
        if p.ndim == 2:
            bias = params[i + 1][1] if i + 1 < len(params) and params[i + 1][1].ndim == 1 else None
            assert bias is not None and bias.shape[0] == p.shape[0], f"no bias after the Linear weight {name}"
            layers.append((p.double(), bias.double()))
            i += 2
        else:
            i += 1
    return layers


def forward(snapshot, X, activation=torch.relu):
    """Eval-mode logits of an FNN without batch norm (dropout is the identity in eval mode)."""
    h = X.double().flatten(start_dim=1)
    layers = linear_layers(snapshot)
    for k, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if k < len(layers) - 1:
            h = activation(h)
    return h


def data_loss(snapshot, X, y):
    return F.cross_entropy(forward(snapshot, X), y).item()


def fnn_parameter_count(sizes, batch_norm=False):
    linear = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    bn = 2 * sum(sizes[1:-1]) if batch_norm else 0
    return linear + bn
