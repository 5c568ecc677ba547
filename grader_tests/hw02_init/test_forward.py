"""Parts C and D: forward_stats, and the scale of activations after 100 layers (measured by
the grader on weights drawn by the student's initialisations)."""

import math

import numpy as np
import pytest
import torch
from _reference import K_SE, forward_with_deterministic_weights, forward_with_randn_weights, log_mean_square_after, relu

from hw_utils.testing import assert_close, assert_float


def two_numbers(result, what):
    assert isinstance(result, (tuple, list)) and len(result) == 2, \
        f"{what} should return (mean, std), got {result!r}"
    return float(result[0]), float(result[1])


@pytest.mark.public
@pytest.mark.points(2)
def test_forward_stats_follows_the_recipe(student):
    """With weights that involve no randomness (torch.eye, torch.ones) the output is known:
    the seeded inputs, then `depth` times activation(h @ W)."""
    cases = [
        ("eye", torch.eye, "tanh", torch.tanh, 3, 5, 4, 0),
        ("eye", torch.eye, "tanh", torch.tanh, 7, 16, 8, 3),
        ("eye", torch.eye, "sigmoid", torch.sigmoid, 1, 6, 3, 1),
        ("eye", torch.eye, "sigmoid", torch.sigmoid, 2, 6, 3, 1),
        ("eye", torch.eye, "sigmoid", torch.sigmoid, 4, 6, 3, 1),
        ("ones", torch.ones, "sigmoid", torch.sigmoid, 2, 4, 5, 2),
        ("eye", torch.eye, "relu", torch.relu, 100, 8, 2, 5),
    ]
    for init_name, init, act_name, act, depth, width, batch, seed in cases:
        what = (f"forward_stats(torch.{init_name}, torch.{act_name}, depth={depth}, width={width}, "
                f"batch={batch}, seed={seed})")
        got = two_numbers(student.forward_stats(getattr(student.torch, init_name), getattr(student.torch, act_name),
                                                depth=depth, width=width, batch=batch, seed=seed), what)
        weight = init(width, width)
        want = forward_with_deterministic_weights(weight, act, depth, batch, width, seed)
        assert_close(got[0], want[0], "mean", rtol=1e-5, atol=1e-6, context=what)
        assert_close(got[1], want[1], "std", rtol=1e-5, atol=1e-6, context=what)


@pytest.mark.points(1)
def test_forward_stats_draws_a_new_weight_per_layer(student):
    """With torch.randn as init_fn the draws are known as well: after torch.manual_seed(seed),
    the inputs, then a new (width, width) matrix for every layer, applied as h @ W."""
    for act_name, depth, width, batch, seed in [("tanh", 3, 6, 4, 0), ("sigmoid", 4, 5, 3, 2)]:
        what = (f"forward_stats(torch.randn, torch.{act_name}, depth={depth}, width={width}, "
                f"batch={batch}, seed={seed})")
        got = two_numbers(student.forward_stats(student.torch.randn, getattr(student.torch, act_name),
                                                depth=depth, width=width, batch=batch, seed=seed), what)
        want = forward_with_randn_weights(getattr(torch, act_name), depth, batch, width, seed)
        context = f"{what}: a new W = init_fn(width, width) for each layer"
        assert_close(got[0], want[0], "mean", rtol=1e-5, atol=1e-6, context=context)
        assert_close(got[1], want[1], "std", rtol=1e-5, atol=1e-6, context=context)


@pytest.mark.points(1)
def test_forward_stats_returns_two_python_floats(student):
    what = "forward_stats(torch.eye, torch.tanh, depth=2, width=4, batch=3, seed=0)"
    result = student.forward_stats(student.torch.eye, student.torch.tanh, depth=2, width=4, batch=3, seed=0)
    assert isinstance(result, (tuple, list)) and len(result) == 2, f"{what} should return (mean, std), got {result!r:.100}"
    assert_float(result[0], f"{what}: the mean")
    assert_float(result[1], f"{what}: the std")


def final_activations(student, init_name, activation, seed, width, depth, batch):
    """The last layer's activations of a depth-layer network run here, by the grader, with weights
    drawn by the student's init in the worker. forward_stats is graded on known weights above; the
    statistics that judge an initialisation are never the submission's own account of them."""
    student.torch.manual_seed(seed)
    init = getattr(student, init_name)
    h = torch.randn(batch, width, generator=torch.Generator().manual_seed(seed))
    for layer in range(1, depth + 1):
        w = init(width, width)
        assert isinstance(w, torch.Tensor) and tuple(w.shape) == (width, width) and w.dtype == torch.float32, \
            f"{init_name}({width}, {width}) should return a float32 tensor of shape ({width}, {width}), got {w!r:.100}"
        h = activation(h @ w)
    return h


def check_final_scale(student, init_name, act_name, activation, gain2, seeds, width=512, depth=100, batch=64):
    centre, sd = log_mean_square_after(activation, gain2, depth, width)
    lo, hi = centre - K_SE * sd, centre + K_SE * sd
    results = []
    for seed in seeds:
        what = (f"{depth} layers of torch.{act_name}(h @ {init_name}({width}, {width})), inputs "
                f"torch.randn({batch}, {width}), torch.manual_seed({seed}) before the first draw")
        h = final_activations(student, init_name, getattr(torch, act_name), seed, width, depth, batch)
        mean, std = h.mean().item(), h.std().item()
        assert math.isfinite(mean) and math.isfinite(std), f"{what}: the activations are not finite"
        mean_square = mean * mean + std * std
        log_ms = math.log(mean_square) if mean_square > 0 else -math.inf
        assert lo <= log_ms <= hi, (
            f"{what}: mean {mean:.3e}, std {std:.3e}, so a mean square of {mean_square:.3e}; "
            f"theory puts it between {math.exp(lo):.2e} and {math.exp(hi):.2e} "
            f"(around {math.exp(centre):.2e}, {K_SE:g} standard deviations of its logarithm)")
        results.append((what, mean, std, mean_square))
    return results


@pytest.mark.points(2)
def test_tanh_xavier_after_100_layers(student):
    """tanh + Xavier: the mean square decays slowly (about 1 / (2 * layer)), not exponentially;
    512 * Var(w) = 512 * 2 / 1024 = 1 for square layers. The mean stays 0 by symmetry: given the
    previous layer the width units are i.i.d. and symmetric, so |mean| <= K_SE sqrt(ms / width)."""
    for what, mean, std, mean_square in check_final_scale(student, "xavier_init", "tanh", np.tanh, 1.0, [1, 2]):
        tol = K_SE * math.sqrt(mean_square / 512)
        assert abs(mean) <= tol, f"{what}: mean {mean:.3e}, expected 0 within {tol:.1e} (tanh is odd)"


@pytest.mark.points(2)
def test_relu_kaiming_after_100_layers(student):
    """ReLU + Kaiming: 512 * Var(w) = 2 makes up for the half ReLU removes; the mean square has
    expected value 1, and its logarithm a random-walk spread of sqrt((2 + 5 * 100) / 512) ~ 1."""
    check_final_scale(student, "kaiming_init", "relu", relu, 2.0, [1, 2])
