"""Trusted helpers, run in the grader: data, batches of a student loader, and forward passes
rebuilt from a returned model's parameters.

A student's FNN may be built any way that computes the specified network (nn.Sequential or
a custom forward, output layer registered first or last), so layers are found by what they
are, never by their names or registration order: Linear layers are chained by their shapes
from the input width, batch-norm layers matched to the width they normalise.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F

BN_EPS = 1e-5  # nn.BatchNorm1d's default


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
    return [tuple(it.__next__()) for _ in range(n)]


def linear_layers(snapshot, in_features):
    """[(weight, bias), ...] (float64) of the Linear layers in the order data flows through
    them: each takes the previous one's output width, starting from in_features."""
    params = snapshot.parameters
    weights = [(name, p) for name, p in params.items() if p.ndim == 2]
    layers, width = [], in_features
    while weights:
        following = [(name, w) for name, w in weights if w.shape[1] == width]
        if not following:
            break
        name, weight = following[0]
        weights.remove((name, weight))
        bias = params.get(name.removesuffix("weight") + "bias")
        assert bias is not None and tuple(bias.shape) == (weight.shape[0],), \
            f"the Linear layer with weight {name} {tuple(weight.shape)} should have a bias of {weight.shape[0]} values"
        layers.append((weight.double(), bias.double()))
        width = weight.shape[0]
    assert not weights, (
        f"weight matrices {[tuple(w.shape) for _, w in weights]} do not continue the chain of Linear layers "
        f"from {in_features} inputs ({[tuple(w.shape) for w, _ in layers]})")
    return layers


@dataclass
class BatchNorm:
    weight: torch.Tensor
    bias: torch.Tensor
    running_mean: torch.Tensor
    running_var: torch.Tensor

    def __call__(self, h, train_mode):
        if train_mode:  # the batch's own statistics, biased variance, as BatchNorm1d uses them
            mean, var = h.mean(dim=0), h.var(dim=0, unbiased=False)
        else:
            mean, var = self.running_mean, self.running_var
        return (h - mean) / torch.sqrt(var + BN_EPS) * self.weight + self.bias


def batch_norms(snapshot):
    """The batch-norm layers (each owns a running_mean buffer), in registration order."""
    found = []
    for name, running_mean in snapshot.buffers.items():
        if name.endswith("running_mean"):
            prefix = name.removesuffix("running_mean")
            part = lambda key, source: source[prefix + key].double()  # noqa: E731
            found.append(BatchNorm(part("weight", snapshot.parameters), part("bias", snapshot.parameters),
                                   running_mean.double(), part("running_var", snapshot.buffers)))
    return found


def forward_layers(layers, X, activation=torch.relu, norms=(), train_mode=False):
    """Linear -> [batch norm] -> activation per hidden layer, then the last Linear, in float64.

    norms: the batch-norm layers to use, each given to the first hidden layer of its width."""
    h = X.double().flatten(start_dim=1)
    unused = list(norms)
    for k, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if k < len(layers) - 1:
            norm = next((n for n in unused if n.weight.shape[0] == W.shape[0]), None)
            if norm is not None:
                unused.remove(norm)
                h = norm(h, train_mode)
            h = activation(h)
    return h


def forward(snapshot, X, activation=torch.relu, batch_norm=False, train_mode=False):
    """Logits of an FNN rebuilt from its snapshot (dropout off: eval mode, or no dropout)."""
    X = X.flatten(start_dim=1)
    norms = batch_norms(snapshot) if batch_norm else ()
    return forward_layers(linear_layers(snapshot, X.shape[1]), X, activation, norms, train_mode)


def data_loss(snapshot, X, y):
    return F.cross_entropy(forward(snapshot, X), y).item()


def epoch_means(snapshot, pairs):
    """(loss, accuracy) over batches [(x, y), ...] of a fixed model without dropout: the mean
    cross-entropy per example (each batch weighted by its size) and the fraction right."""
    total, correct, seen = 0.0, 0, 0
    for x, y in pairs:
        logits = forward(snapshot, x)
        total += F.cross_entropy(logits, y, reduction="sum").item()
        correct += int((logits.argmax(dim=1) == y).sum())
        seen += len(y)
    return total / seen, correct / seen


def fnn_parameter_count(sizes, batch_norm=False):
    linear = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    bn = 2 * sum(sizes[1:-1]) if batch_norm else 0
    return linear + bn
