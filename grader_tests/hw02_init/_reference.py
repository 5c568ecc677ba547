"""Trusted references for hw02, computed in the grader: exact recomputations where the
notebook pins the procedure, and tolerances derived from sample sizes where it does not.

Every statistical check accepts K_SE standard errors. With 6, a correct solution fails a
given check with probability about 2e-9 (normal tails), whatever random numbers it draws;
each wrong answer in tests/corpus.py is tens to thousands of standard errors away.
"""

import math

import numpy as np
import torch

K_SE = 6.0


# --------------------------------------------------------------------------- tolerances


def se_mean(sigma: float, n: int) -> float:
    """Standard error of the mean of n i.i.d. values with standard deviation sigma."""
    return sigma / math.sqrt(n)


def se_variance(sigma2: float, n: int, excess_kurtosis: float = 0.0) -> float:
    """Standard error of the unbiased sample variance of n i.i.d. values:
    Var(s^2) = sigma^4 (2 / (n - 1) + excess_kurtosis / n); normal: excess 0, uniform: -6/5."""
    return sigma2 * math.sqrt(2.0 / (n - 1) + excess_kurtosis / n)


def se_std(sigma: float, n: int, excess_kurtosis: float = 0.0) -> float:
    """Standard error of the sample standard deviation (delta method: sd(s) = sd(s^2) / (2 sigma))."""
    return se_variance(sigma * sigma, n, excess_kurtosis) / (2.0 * sigma)


def se_proportion(p: float, n: int) -> float:
    """Standard error of the fraction of n i.i.d. draws that fall in an event of probability p."""
    return math.sqrt(p * (1.0 - p) / n)


def normal_fraction_within(k: float) -> float:
    """P(|Z| <= k) for a standard normal Z."""
    return math.erf(k / math.sqrt(2.0))


# --------------------------------------------------------------------------- part A


def possible_first_nonfinite_layers(x: torch.Tensor, weights) -> set:
    """Every answer float arithmetic in x's dtype can give, whatever order a matrix
    product sums its terms in (BLAS libraries and thread counts differ).

    Computed in float64 (no overflow for these networks): at layer k no partial sum can
    exceed max_j sum_i |h_i| |W_ij|, so while that bound is below half the dtype's largest
    value the layer is surely finite; once the exact result exceeds twice that value, the
    layer surely overflows. The factor 2 covers the dtype's rounding errors.
    """
    limit = torch.finfo(x.dtype).max
    h = x.double()
    lo = None
    for k, W in enumerate(weights, start=1):
        W = W.double()
        worst_partial_sum = (h.abs() @ W.abs()).max().item()
        h = h @ W
        if lo is None and worst_partial_sum >= limit / 2:
            lo = k
        if h.abs().max().item() >= 2 * limit:
            return set(range(lo, k + 1))
    return {None} if lo is None else set(range(lo, len(weights) + 1)) | {None}


# --------------------------------------------------------------------------- part B


def dot_product_stats(fan_in: int, n_draws: int, seed: int):
    """The notebook's pinned draws, in float32, then mean and unbiased std in float64."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n_draws, fan_in, generator=g)
    x = torch.randn(n_draws, fan_in, generator=g)
    y = (a * x).sum(dim=1).double()
    return y.mean().item(), y.std().item()


def dot_product_excess_kurtosis(fan_in: int) -> float:
    """y = sum of fan_in i.i.d. products a*x of standard normals: E[(ax)^4] = 9, so each
    product has excess kurtosis 6, and a sum of d i.i.d. terms has 6 / d."""
    return 6.0 / fan_in


# --------------------------------------------------------------------------- part C/D


def forward_with_deterministic_weights(weight, activation, depth, batch, width, seed):
    """forward_stats for a weight matrix that involves no randomness (torch.eye, torch.ones):
    the inputs are torch.randn(batch, width) right after torch.manual_seed(seed)."""
    h = torch.randn(batch, width, generator=torch.Generator().manual_seed(seed))
    for _ in range(depth):
        h = activation(h @ weight)
    return h.mean().item(), h.std().item()


def forward_with_randn_weights(activation, depth, batch, width, seed):
    """forward_stats(torch.randn, activation, ...): after torch.manual_seed(seed) the inputs
    torch.randn(batch, width), then a new torch.randn(width, width) for every layer."""
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(batch, width, generator=g)
    for _ in range(depth):
        h = activation(h @ torch.randn(width, width, generator=g))
    return h.mean().item(), h.std().item()


_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(121)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


def _gauss(f, variance: float) -> float:
    """E[f(z)] for z ~ N(0, variance), by Gauss-Hermite quadrature."""
    return float(np.sum(_WEIGHTS * f(math.sqrt(variance) * _NODES)))


def log_mean_square_after(activation, gain2: float, depth: int, width: int):
    """Where log(mean square of the final activations) of forward_stats should lie, and its spread.

    A network of `depth` layers of `width` units; the inputs are N(0, 1); each weight has
    variance gain2 / width (Xavier on square layers: gain2 = 1; Kaiming: 2).

    Given the previous layer, the width pre-activations of one input are i.i.d. normal
    (central limit theorem) with variance gain2 * m, where m is that input's mean square.
    So the next mean square is an average of `width` i.i.d. values: expected value
    F(m) = E[phi(z)^2], relative variance (E[phi^4] / F^2 - 1) / width. In logs, to first
    order: log m_l = log F(m_{l-1}) + eps_l, with Var(eps_l) that relative variance, and a
    deviation of log m_{l-1} carried over with slope a_l = dlog F / dlog m. So

        var_l = a_l^2 var_{l-1} + Var(eps_l),   var_0 = 2 / width  (the inputs' mean square),

    and log m_depth is about normal with that variance, centred at log q_depth - var / 2 (the
    mean-field mean square q_l = F(q_{l-1}) is its expected value, not that of its log).
    This is for one input; the batch's mean square averages several, which only narrows it.
    For ReLU + Kaiming, F(m) = m and Var(eps) = 5 / width exactly: var = (2 + 5 depth) / width.

    Returns (centre, sd) of log(mean square).
    """
    q, var = 1.0, 2.0 / width
    for _ in range(depth):
        second = _gauss(lambda z: activation(z) ** 2, gain2 * q)
        fourth = _gauss(lambda z: activation(z) ** 4, gain2 * q)
        step = 1e-4
        slope = (math.log(_gauss(lambda z: activation(z) ** 2, gain2 * q * (1 + step)))
                 - math.log(_gauss(lambda z: activation(z) ** 2, gain2 * q * (1 - step)))) \
            / (math.log(1 + step) - math.log(1 - step))
        var = slope * slope * var + (fourth / second ** 2 - 1.0) / width
        q = second
    return math.log(q) - var / 2.0, math.sqrt(var)


def relu(z):
    return np.maximum(z, 0.0)
