"""Part B: max and average pooling, the worked example and random inputs against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hw_utils.testing import assert_array

EXAMPLE = np.array([[4, 3, 5, 1], [2, 1, 3, 1], [1, 1, 2, 3], [0, 0, 1, 2]], dtype=float)
# (shape, kernel_size, stride): stride None is the default, kernel_size.
CASES = [((2, 3, 8, 8), 2, None), ((2, 3, 7, 9), 2, 2), ((1, 2, 9, 7), 3, 2), ((3, 6, 6), 2, 1),
         ((1, 1, 10, 11), 3, None), ((5, 8), 4, 3), ((2, 2, 5, 5), 1, 1)]


def check_pool(student, name, torch_pool):
    rng = np.random.default_rng(11)
    for shape, k, s in CASES:
        x = rng.normal(size=shape)
        batched = torch.from_numpy(x).reshape((-1, 1) + shape[-2:])
        want = torch_pool(batched, k, k if s is None else s).numpy().reshape(shape[:-2] + (-1,))
        got = getattr(student, name)(x, k) if s is None else getattr(student, name)(x, k, s)
        call = f"{name}(x of shape {shape}, {k}{'' if s is None else f', {s}'})"
        oh, ow = (shape[-2] - k) // (s or k) + 1, (shape[-1] - k) // (s or k) + 1
        assert_array(got, np.float64, shape[:-2] + (oh, ow), f"{call} (a float64 x)")
        err = np.abs(got.reshape(shape[:-2] + (-1,)) - want).max()
        assert err < 1e-12, f"{call}: differs from PyTorch's {torch_pool.__name__} by up to {err:.3g}"


@pytest.mark.points(1)
def test_pooling_worked_example(student):
    got = np.asarray(student.max_pool2d_naive(EXAMPLE), dtype=np.float64)
    assert got.shape == (2, 2) and np.array_equal(got, [[4, 5], [1, 3]]), \
        f"max_pool2d_naive of the 4x4 example (2x2 windows, stride 2): expected [[4, 5], [1, 3]], got {got.tolist()}"
    want = [[2.5, 2.5], [0.5, 2.0]]
    for example, kind in [(EXAMPLE, "float"), (EXAMPLE.astype(np.int64), "integer")]:
        got = student.avg_pool2d_naive(example)
        # The docstring: each entry is the window's mean, a float, whatever the input's dtype.
        assert_array(got, np.float64, (2, 2), f"avg_pool2d_naive of the 4x4 example as an {kind} array")
        assert np.allclose(got, want), \
            f"avg_pool2d_naive of the 4x4 example as an {kind} array: expected {want}, got {got.tolist()}"


@pytest.mark.points(1)
def test_max_pool_matches_torch(student):
    check_pool(student, "max_pool2d_naive", F.max_pool2d)


@pytest.mark.points(1)
def test_avg_pool_matches_torch(student):
    check_pool(student, "avg_pool2d_naive", F.avg_pool2d)
