"""Part A: conv_output_size on many cases, conv2d_naive against torch.nn.functional.conv2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _reference import output_size

from hw_utils.testing import assert_array, assert_int

# (input width, filter width, padding, stride): exact fits, rounding down, "same" padding, AlexNet's conv1.
SIZE_CASES = [(7, 3, 0, 1), (7, 3, 0, 2), (7, 3, 0, 3), (7, 3, 1, 1), (224, 3, 1, 1), (224, 2, 0, 2),
              (225, 2, 0, 2), (28, 5, 0, 1), (32, 5, 2, 1), (10, 4, 1, 3), (227, 11, 0, 4), (13, 3, 1, 2),
              (5, 5, 0, 1), (6, 1, 0, 1), (9, 3, 2, 5), (100, 7, 3, 2)]


def torch_conv(x, w, b, stride, padding):
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(w), None if b is None else torch.from_numpy(b),
                    stride=stride, padding=padding).numpy()


def check_conv(student, x, w, b, stride, padding, what):
    want = torch_conv(x, w, b, stride, padding)
    got = student.conv2d_naive(x, w, b, stride=stride, padding=padding)
    # The docstring: a NumPy array, float64 for float64 inputs (not a tensor, not float32).
    assert_array(got, np.float64, want.shape, f"conv2d_naive on {what} (float64 inputs)")
    err = np.abs(got - want).max() / max(1e-300, np.abs(want).max())
    assert err < 1e-10, (
        f"conv2d_naive on {what}: relative error {err:.3g} against torch.nn.functional.conv2d "
        f"(float64); first output row expected {np.round(want[0, 0, 0], 4)}, got {np.round(got[0, 0, 0], 4)}")


@pytest.mark.points(1)
def test_conv_output_size(student):
    for w, k, p, s in SIZE_CASES:
        got = student.conv_output_size(w, k, p, s)
        want = output_size(w, k, p, s)
        assert_int(got, f"conv_output_size({w}, {k}, {p}, {s})")
        assert got == want, f"conv_output_size(w={w}, k={k}, p={p}, s={s}): expected floor(({w} - {k} + 2*{p}) / {s}) + 1 = {want}, got {got}"


@pytest.mark.points(1)
def test_conv2d_worked_example_7x7(student):
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(1, 1, 7, 7)), rng.normal(size=(1, 1, 3, 3))
    for stride, padding, size in [(1, 0, 5), (2, 0, 3), (3, 0, 2), (1, 1, 7)]:
        check_conv(student, x, w, None, stride, padding,
                   f"a 7x7 input with a 3x3 filter, stride {stride}, padding {padding} (a {size}x{size} output)")


@pytest.mark.points(3)
def test_conv2d_random_shapes_strides_paddings(student):
    rng = np.random.default_rng(404)
    for trial in range(10):
        n, c, f = rng.integers(1, 4), rng.integers(1, 5), rng.integers(1, 6)
        kh, kw = rng.integers(1, 5), rng.integers(1, 5)
        stride, padding = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        h, wd = rng.integers(max(1, kh - 2 * padding), 13), rng.integers(max(1, kw - 2 * padding), 13)
        x, w = rng.normal(size=(n, c, h, wd)), rng.normal(size=(f, c, kh, kw))
        b = rng.normal(size=f) if trial % 3 else None
        what = (f"x {x.shape}, w {w.shape}, {'no bias' if b is None else 'bias'}, "
                f"stride {stride}, padding {padding}")
        check_conv(student, x, w, b, stride, padding, what)
