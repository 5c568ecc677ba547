"""Trusted references for hw06, computed in the grader (float64): the network make_mlp builds,
rebuilt from a returned model's parameters; Algorithm 7.1 run on a script; batch norm as
nn.BatchNorm1d computes it; and tolerances derived from sample sizes for dropout's draws.

Every statistical check accepts K_SE standard errors: a correct solution fails one with
probability about 2e-9 (normal tails), whatever random numbers it draws.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

K_SE = 6.0


def se_proportion(p: float, n: int) -> float:
    """Standard error of the fraction of n i.i.d. draws that fall in an event of probability p."""
    return math.sqrt(p * (1.0 - p) / n)


# --------------------------------------------------------------------------- part A


def linear_layers(snapshot):
    """[(weight, bias), ...] (float64) of make_mlp's Linear layers, in order ("0.weight", "2.weight", ...)."""
    params = snapshot.parameters
    indices = sorted(int(name.split(".")[0]) for name in params if name.endswith(".weight") and params[name].ndim == 2)
    return [(params[f"{i}.weight"].double(), params[f"{i}.bias"].double()) for i in indices]


def mlp_forward(layers, X):
    """Linear -> ReLU -> ... -> Linear, as make_mlp builds it without batch norm and dropout."""
    h = X.double()
    for k, (W, b) in enumerate(layers):
        h = h @ W.T + b
        if k < len(layers) - 1:
            h = torch.relu(h)
    return h


def parameter_norm(snapshot) -> float:
    """The L2 norm of every parameter of a model, together."""
    return math.sqrt(sum(float((p.double() ** 2).sum()) for p in snapshot.parameters.values()))


def weight_decay_step(snapshot, X, y, lr, lam):
    """(penalised loss before the step, {name: parameter after one SGD(lr, weight_decay=lam) step})."""
    params = {name: p.double().clone().requires_grad_(True) for name, p in snapshot.parameters.items()}
    layers = [(params[f"{i}.weight"], params[f"{i}.bias"]) for i in
              sorted(int(n.split(".")[0]) for n in params if n.endswith(".weight"))]
    loss = F.cross_entropy(mlp_forward(layers, X), y)
    loss.backward()
    penalty = lam / 2 * sum(float((p.detach() ** 2).sum()) for p in params.values())
    after = {name: (p - lr * (p.grad + lam * p)).detach() for name, p in params.items()}
    return float(loss.detach()) + penalty, after


# --------------------------------------------------------------------------- part C


def algorithm_7_1(errors, n, patience):
    """(evaluations, steps trained, i*) of Algorithm 7.1 on a scripted sequence of validation errors."""
    i = j = evaluations = 0
    v, best_step = math.inf, 0
    while j < patience:
        i += n
        error = errors[evaluations]
        evaluations += 1
        if error < v:
            j, best_step, v = 0, i, error
        else:
            j += 1
    return evaluations, i, best_step


# --------------------------------------------------------------------------- part D


def torch_batch_norm(num_features, eps, momentum, gamma, beta):
    """nn.BatchNorm1d in float64 with this gamma and beta."""
    bn = nn.BatchNorm1d(num_features, eps=eps, momentum=momentum, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    return bn


def output_and_input_grad(module, x, grad_output):
    x = x.double().detach().clone().requires_grad_(True)
    y = module(x)
    (y * grad_output.double()).sum().backward()
    return y.detach(), x.grad
