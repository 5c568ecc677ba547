"""Parts C and D: scaled normal, Xavier uniform and Kaiming normal initialisations.

Statistics of large matrices, each within K_SE standard errors computed from the number
of weights; the fixture seeds torch in the worker, so each test draws the same weights on
every run.
"""

import math

import numpy as np
import pytest
import torch
from _reference import K_SE, normal_fraction_within, se_mean, se_proportion, se_variance

from hw_utils.testing import type_name

INITS = ["scaled_normal_init", "xavier_init", "kaiming_init"]


def draw(student, name, fan_in, fan_out):
    """Call the student's init; check tensor, shape and dtype; return float64 NumPy values."""
    w = getattr(student, name)(fan_in, fan_out)
    call = f"{name}({fan_in}, {fan_out})"
    assert isinstance(w, torch.Tensor), f"{call} should return a torch.Tensor, got {type_name(w)}"
    assert tuple(w.shape) == (fan_in, fan_out), \
        f"{call} should have shape (fan_in, fan_out) = {(fan_in, fan_out)}, got {tuple(w.shape)}"
    assert w.dtype == torch.float32, f"{call} should be float32, got {w.dtype}"
    return w.double().numpy()


def check_mean_and_variance(w, variance, excess_kurtosis, call, formula):
    n, sigma = w.size, math.sqrt(variance)
    mean_tol = K_SE * se_mean(sigma, n)
    var_tol = K_SE * se_variance(variance, n, excess_kurtosis)
    mean, var = float(w.mean()), float(w.var(ddof=1))
    assert abs(mean) <= mean_tol, \
        f"{call}: mean of the weights {mean:.3e}, expected 0 within {mean_tol:.1e} ({K_SE:g} standard errors)"
    assert abs(var - variance) <= var_tol, (
        f"{call}: variance of the weights {var:.4e}, expected {formula} = {variance:.4e} "
        f"within {var_tol:.1e} ({K_SE:g} standard errors for {n} weights)")


def check_normal(w, sigma, call, formula):
    """A normal distribution puts 68.27% of its draws within one standard deviation of 0; a
    uniform one with the same variance 57.7%."""
    p = normal_fraction_within(1.0)
    fraction = float(np.mean(np.abs(w) <= sigma))
    tol = K_SE * se_proportion(p, w.size)
    assert abs(fraction - p) <= tol, (
        f"{call}: {fraction:.2%} of the weights lie within one standard deviation {formula} "
        f"of 0; a normal distribution has {p:.2%} there (tolerance {tol:.2%})")


@pytest.mark.public
@pytest.mark.points(1)
def test_init_shapes_and_dtype(student):
    for name in INITS:
        for fan_in, fan_out in [(3, 7), (300, 20), (1, 1), (64, 64)]:
            draw(student, name, fan_in, fan_out)


@pytest.mark.points(1)
def test_scaled_normal_init_statistics(student):
    for fan_in, fan_out in [(400, 300), (30, 5000)]:
        w = draw(student, "scaled_normal_init", fan_in, fan_out)
        call = f"scaled_normal_init({fan_in}, {fan_out})"
        check_mean_and_variance(w, 1.0 / fan_in, 0.0, call, "1 / fan_in")
        check_normal(w, math.sqrt(1.0 / fan_in), call, "sqrt(1 / fan_in)")


@pytest.mark.points(2)
def test_xavier_bound(student):
    """No |w| beyond b = sqrt(6 / (fan_in + fan_out)); the extremes come close to +-b.

    For n uniform draws, P(max w < b (1 - t)) = (1 - t/2)^n ~ exp(-n t / 2); with t = 40 / n
    that is exp(-20) = 2e-9 per side. A smaller bound (sqrt(2 / ...) is b / 1.73) fails by far.
    """
    for fan_in, fan_out in [(1000, 600), (50, 2000), (256, 256)]:
        w = draw(student, "xavier_init", fan_in, fan_out)
        call = f"xavier_init({fan_in}, {fan_out})"
        b = math.sqrt(6.0 / (fan_in + fan_out))
        t = 40.0 / w.size
        largest = float(np.abs(w).max())
        assert largest <= b * (1 + 1e-6), \
            f"{call}: largest |w| is {largest:.6f}, beyond the bound sqrt(6 / (fan_in + fan_out)) = {b:.6f}"
        assert w.max() >= b * (1 - t) and w.min() <= -b * (1 - t), (
            f"{call}: weights range over [{w.min():.6f}, {w.max():.6f}]; with {w.size} uniform draws "
            f"on [-b, b], b = sqrt(6 / (fan_in + fan_out)) = {b:.6f}, they reach within {b * t:.1e} of +-b")


@pytest.mark.points(2)
def test_xavier_is_uniform(student):
    """Uniform on [-b, b] puts exactly half its draws within +-b/2; a normal with the same
    variance puts 61.4% there, a normal with standard deviation b 38.3%."""
    for fan_in, fan_out in [(1000, 600), (40, 3000)]:
        w = draw(student, "xavier_init", fan_in, fan_out)
        b = math.sqrt(6.0 / (fan_in + fan_out))
        fraction = float(np.mean(np.abs(w) <= b / 2))
        tol = K_SE * se_proportion(0.5, w.size)
        assert abs(fraction - 0.5) <= tol, (
            f"xavier_init({fan_in}, {fan_out}): {fraction:.2%} of the weights lie within +-b/2, "
            f"b = sqrt(6 / (fan_in + fan_out)); a uniform distribution on [-b, b] has 50% there "
            f"(tolerance {tol:.2%}). Is it drawn uniformly?")


@pytest.mark.points(1)
def test_xavier_mean_and_variance(student):
    """Mean 0 and variance b^2 / 3 = 2 / (fan_in + fan_out); uniform has excess kurtosis -6/5."""
    for fan_in, fan_out in [(1000, 600), (20, 3000)]:
        w = draw(student, "xavier_init", fan_in, fan_out)
        check_mean_and_variance(w, 2.0 / (fan_in + fan_out), -1.2, f"xavier_init({fan_in}, {fan_out})",
                                "b**2 / 3 = 2 / (fan_in + fan_out)")


@pytest.mark.points(2)
def test_kaiming_statistics(student):
    """Mean 0, variance 2 / fan_in (not fan_out: the shapes are far from square), and normal."""
    for fan_in, fan_out in [(1000, 300), (64, 4000)]:
        w = draw(student, "kaiming_init", fan_in, fan_out)
        call = f"kaiming_init({fan_in}, {fan_out})"
        variance = 2.0 / fan_in
        check_mean_and_variance(w, variance, 0.0, call, "2 / fan_in")
        check_normal(w, math.sqrt(variance), call, "sqrt(2 / fan_in)")


@pytest.mark.points(1)
def test_inits_are_reproducible_with_torch_manual_seed(student):
    for name in INITS:
        init = getattr(student, name)
        student.torch.manual_seed(7)
        first, second = init(20, 30), init(20, 30)
        student.torch.manual_seed(7)
        again = init(20, 30)
        assert isinstance(first, torch.Tensor) and isinstance(again, torch.Tensor), \
            f"{name}(20, 30) should return a torch.Tensor"
        assert torch.equal(first, again), \
            f"{name}: torch.manual_seed(7) then {name}(20, 30) twice gave different weights: use torch's global generator"
        assert not torch.equal(first, second), \
            f"{name}: two calls in a row gave the same weights: do not reseed inside the function"


@pytest.mark.points(1)
def test_init_entries_are_independent(student):
    """i.i.d. entries: neighbouring entries along a column and along a row are uncorrelated.
    For n independent pairs the correlation has standard error 1 / sqrt(n); a row or column
    drawn once and repeated has correlation 1."""
    for name in INITS:
        fan_in, fan_out = 300, 200
        w = draw(student, name, fan_in, fan_out)
        mean_square = float(np.mean(w * w))
        for direction, a, b in [("rows", w[:-1, :], w[1:, :]), ("columns", w[:, :-1], w[:, 1:])]:
            correlation = float(np.mean(a * b)) / mean_square
            tol = K_SE / math.sqrt(a.size)
            assert abs(correlation) <= tol, (
                f"{name}({fan_in}, {fan_out}): neighbouring {direction} of the weights have correlation "
                f"{correlation:.3f}, expected 0 within {tol:.3f} ({K_SE:g} standard errors): draw every entry "
                "independently")
