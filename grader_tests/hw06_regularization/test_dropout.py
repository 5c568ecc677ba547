"""Part B: inverted dropout. Values, rates and independence judged over many draws with
tolerances derived from the number of draws (K_SE standard errors); the gradient through
the given output_and_input_grad (autograd in the worker, checked here)."""

import pytest
import torch
from _reference import K_SE, se_proportion

from hw_utils.testing import fail, is_module, type_name

ROWS, COLS = 200, 500


def dropout(student, p, train=True):
    layer = student.construct("Dropout", p)
    if not is_module(layer):
        fail(f"Dropout({p}) should construct a torch.nn.Module, got {layer!r}")
    layer.train() if train else layer.eval()
    return layer


def positive_input(seed, dtype=torch.float32):
    """No zeros: a zero in the output then means a dropped unit."""
    return (0.5 + torch.rand(ROWS, COLS, generator=torch.Generator().manual_seed(seed))).to(dtype)


def output(layer, x, what):
    y = layer(x)
    if not isinstance(y, torch.Tensor) or tuple(y.shape) != tuple(x.shape) or y.dtype != x.dtype:
        fail(f"{what} on a {x.dtype} tensor of shape {tuple(x.shape)}: expected a tensor of the same shape and dtype, "
             f"got {type_name(y)} {getattr(y, 'shape', '')} {getattr(y, 'dtype', '')}")
    return y


@pytest.mark.points(1)
def test_dropout_eval_mode_is_the_identity(student):
    for p in [0.3, 0.9]:
        for dtype in [torch.float32, torch.float64]:
            x = positive_input(1, dtype) - 1.0
            y = output(dropout(student, p, train=False), x, f"Dropout({p}) in eval mode")
            assert torch.equal(y, x), f"Dropout({p}) in eval mode changed its {dtype} input: eval mode is the identity"


@pytest.mark.points(2)
def test_dropout_keeps_with_probability_1_minus_p_and_rescales(student):
    """Every output is 0 or x / (1 - p); the kept fraction of 100,000 units is 1 - p within
    6 binomial standard errors (p = 0.5 cannot tell p from 1 - p: 0.2 and 0.8 can)."""
    for k, p in enumerate([0.2, 0.5, 0.8]):
        for dtype in [torch.float32, torch.float64]:
            x = positive_input(10 + k, dtype)
            what = f"Dropout({p}) in train mode on {ROWS}x{COLS} positive {dtype} inputs"
            y = output(dropout(student, p), x, what)
            kept = y != 0
            if kept.any():
                ratio = (y[kept] / x[kept]).double()
                worst = float((ratio - 1 / (1 - p)).abs().max())
                assert worst <= 1e-5 / (1 - p), (
                    f"{what}: a kept unit is x times {float(ratio[(ratio - 1 / (1 - p)).abs().argmax()]):.6f}, "
                    f"expected x / (1 - p) = x times {1 / (1 - p):.6f}; dropped units are exactly 0")
            fraction, tol = float(kept.double().mean()), K_SE * se_proportion(1 - p, x.numel())
            assert abs(fraction - (1 - p)) <= tol, (
                f"{what}: kept {fraction:.4f} of the units, expected 1 - p = {1 - p:.4f} within {tol:.4f} "
                f"({K_SE:g} standard errors for {x.numel():,} units)")


def count_spread(kept, dim, q):
    """Sample variance of the kept counts along dim, over its binomial variance."""
    counts = kept.double().sum(dim=dim)
    n = kept.shape[dim]
    return float(counts.var()) / (n * q * (1 - q)), len(counts)


@pytest.mark.points(1)
def test_dropout_masks_are_independent_and_fresh(student):
    """The kept counts per row and per column vary as binomial counts do (a mask shared by a
    row or a column does not); two calls draw different masks, overlapping as (1 - p)**2."""
    p, q = 0.4, 0.6
    layer = dropout(student, p)
    x = positive_input(20)
    first = output(layer, x, f"Dropout({p}) in train mode") != 0
    second = output(layer, x, f"Dropout({p}) in train mode") != 0
    for dim, along in [(1, "row"), (0, "column")]:
        ratio, m = count_spread(first, dim, q)
        tol = K_SE * (2 / (m - 1)) ** 0.5
        assert abs(ratio - 1) <= tol, (
            f"Dropout({p}) on {ROWS}x{COLS} inputs: the number of kept units per {along} varies {ratio:.3g} times as "
            f"much as independent draws would (1 within {tol:.2f}): draw one independent Bernoulli(1 - p) per entry")
    both, tol = float((first & second).double().mean()), K_SE * se_proportion(q * q, x.numel())
    assert abs(both - q * q) <= tol, (
        f"Dropout({p}): two calls in a row kept the same unit {both:.4f} of the time, expected (1 - p)**2 = {q * q:.4f} "
        f"within {tol:.4f}: draw a fresh mask at every forward pass (and never reseed inside)")


@pytest.mark.points(1)
def test_dropout_with_p_0_and_p_1(student):
    x = positive_input(30) - 1.0
    y = output(dropout(student, 0.0), x, "Dropout(0.0) in train mode")
    assert torch.equal(y, x), "Dropout(0.0) in train mode should return its input unchanged (nothing dropped, no scaling)"
    y = output(dropout(student, 1.0), x, "Dropout(1.0) in train mode")
    if not torch.isfinite(y).all():
        fail("Dropout(1.0) in train mode returned NaN or inf (0 / (1 - 1)): with p = 1 every unit is dropped, "
             "the output is all zeros")
    assert torch.count_nonzero(y) == 0, "Dropout(1.0) in train mode should return all zeros"


@pytest.mark.points(1)
def test_dropout_gradient_flows_through_kept_units_only(student):
    """output_and_input_grad (given): the input's gradient is grad_output * mask / (1 - p) in
    train mode, grad_output in eval mode."""
    g = torch.randn(ROWS, COLS, generator=torch.Generator().manual_seed(41))
    for p in [0.25, 0.6]:
        for train in [True, False]:
            layer = dropout(student, p, train)
            what = f"Dropout({p}) in {'train' if train else 'eval'} mode"
            y, dx = student.output_and_input_grad(layer, positive_input(40), g)
            if not isinstance(dx, torch.Tensor):
                fail(f"{what}: no gradient reached the input (got {type_name(dx)}); compute the output from x with "
                     "tensor operations, without detaching it")
            mask = (y != 0).to(g.dtype) / (1 - p) if train else torch.ones_like(g)
            err = float((dx - g * mask).abs().max())
            assert err <= 1e-5, (
                f"{what}: the input's gradient differs by up to {err:.3g} from "
                f"{'grad_output * mask / (1 - p)' if train else 'grad_output (eval mode is the identity)'}")
