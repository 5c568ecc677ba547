"""Trusted references for hw09, computed in the grader: statistics in float64, and the two-layer
network's loss and gradients by PyTorch's autograd (float64), never by the student's code."""

import torch
import torch.nn.functional as F


def random_network(rng, D, H, K):
    return {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H), "W2": rng.normal(size=(H, K)),
            "b2": rng.normal(size=K)}


def autograd(params, X, y):
    """(logits, loss, {name: gradient}) of ReLU(X W1 + b1) W2 + b2 under the mean NLL of y."""
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    logits = torch.relu(torch.as_tensor(X, dtype=torch.float64) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    loss = F.cross_entropy(logits, torch.as_tensor(y))
    loss.backward()
    return logits.detach().numpy(), float(loss.detach()), {k: t.grad.numpy() for k, t in p.items()}
