"""Part A: the first layer of a deep linear network whose activations are not finite."""

import pytest
import torch
from _reference import possible_first_nonfinite_layers

from hw_utils.testing import assert_int


def scaled_identities(factor, width, depth, dtype=torch.float32):
    return [factor * torch.eye(width, dtype=dtype) for _ in range(depth)]


def as_layer_number(value, what):
    """None, or a whole number (a one-element tensor is accepted too)."""
    if value is None:
        return None
    if hasattr(value, "numel") and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise AssertionError(f"{what}: expected an int layer number or None, got {value!r}")
    return int(value)


# (x, weights, expected, what the case is). float32's largest value is 3.4e38 and float64's
# 1.8e308, so h_k = 100**k overflows float32 at k = 20 and h_k = 10**k float64 at k = 309.
KNOWN = [
    (torch.ones(4), scaled_identities(100.0, 4, 30), 20,
     "x = ones(4), 30 layers W = 100 * I in float32: h_k = 100**k, and 1e40 > 3.4e38"),
    (torch.ones(3, 4), scaled_identities(100.0, 4, 30), 20, "the same with a batch x = ones(3, 4)"),
    (torch.ones(4), scaled_identities(100.0, 4, 19), None, "x = ones(4), 19 layers W = 100 * I: 1e38 is still finite"),
    (torch.ones(5), [], None, "no layers at all"),
    (torch.ones(2, dtype=torch.float64), scaled_identities(10.0, 2, 320, torch.float64), 309,
     "float64: x = ones(2), 320 layers W = 10 * I; 1e309 > 1.8e308 (did you convert to float32?)"),
    (torch.full((2,), 1e30), [torch.eye(2), torch.tensor([[1e10], [-1e10]]), torch.ones(1, 1)], 2,
     "x = [1e30, 1e30], layer 2 computes 1e40 - 1e40 = inf - inf = NaN (no inf in its output)"),
    (torch.ones(3), [torch.ones(3, 5), 0.5 * torch.ones(5, 2), torch.tensor([[float("nan")], [1.0]])], 3,
     "non-square layers 3 -> 5 -> 2 -> 1 with a NaN weight in layer 3"),
]


@pytest.mark.points(2)
def test_first_nonfinite_layer_on_known_networks(student):
    for x, weights, expected, what in KNOWN:
        got = as_layer_number(student.first_nonfinite_layer(x, weights), f"first_nonfinite_layer ({what})")
        assert got == expected, (
            f"first_nonfinite_layer for {what}: expected {expected}, got {got} (layers are numbered from 1)")


@pytest.mark.points(1)
def test_first_nonfinite_layer_on_gaussian_networks(student):
    """100 layers with N(0, 1) weights, as in the notebook, at other widths and seeds."""
    g = torch.Generator().manual_seed(2024)
    for width, batch in [(64, None), (32, None), (100, 8)]:
        x = torch.randn(width, generator=g) if batch is None else torch.randn(batch, width, generator=g)
        weights = [torch.randn(width, width, generator=g) for _ in range(100)]
        allowed = possible_first_nonfinite_layers(x, weights)
        what = f"x of shape {tuple(x.shape)}, 100 layers of N(0, 1) weights ({width}, {width}), float32"
        got = as_layer_number(student.first_nonfinite_layer(x, weights), f"first_nonfinite_layer ({what})")
        assert got in allowed, (
            f"first_nonfinite_layer for {what}: expected {' or '.join(map(str, sorted(allowed)))} "
            f"(float32 overflows there), got {got}")


@pytest.mark.points(1)
def test_first_nonfinite_layer_returns_a_python_int_or_none(student):
    """The docstring asks for a Python int (not a tensor or a float), or None."""
    for x, weights, expected, what in KNOWN[:4]:
        got = student.first_nonfinite_layer(x, weights)
        call = f"first_nonfinite_layer for {what}"
        if expected is None:
            assert got is None, f"{call}: expected None (every layer is finite), got {got!r:.100}"
        else:
            assert_int(got, call)  # its value: the tests above
