"""Part B: the two-layer network in pure NumPy, checked against PyTorch's autograd in float64 on
random networks and labels the grader draws."""

import numpy as np
import pytest
from _reference import autograd, random_network

from hw_utils.testing import assert_array, assert_float, fail

SIZES = [(7, 5, 3, 4), (12, 9, 10, 6)]  # (batch N, inputs D, hidden H, classes K)


def case(seed, N, D, H, K):
    rng = np.random.default_rng(seed)
    return random_network(rng, D, H, K), rng.normal(size=(N, D)), rng.integers(0, K, size=N)


@pytest.mark.points(1)
def test_one_hot(student):
    y = np.array([3, 0, 2, 2, 4])
    got = student.one_hot(y, 6)
    assert_array(got, np.float64, (5, 6), "one_hot([3, 0, 2, 2, 4], 6)")
    assert np.array_equal(got, np.eye(6)[y]), f"one_hot([3, 0, 2, 2, 4], 6) = {got.tolist()}: a 1 in column y[n] of row n"


@pytest.mark.points(1)
def test_softmax_is_stable_and_normalised(student):
    logits = np.array([[1000.0, 999.0, -5.0], [-1000.0, -1001.0, -1003.0], [0.1, 0.2, 0.3]])
    got = student.softmax(logits)
    assert_array(got, np.float64, (3, 3), "softmax of logits (3, 3)")
    if not np.isfinite(got).all():
        fail(f"softmax of logits like 1000 gives {got.tolist()}: subtract each row's maximum before exp")
    z = logits - logits.max(axis=1, keepdims=True)
    want = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.allclose(got, want, rtol=1e-9, atol=1e-12), f"softmax = {got.tolist()}, expected {want.tolist()} (row-wise)"


@pytest.mark.points(1)
def test_nll_loss_is_mean_cross_entropy(student):
    for seed, (N, D, H, K) in enumerate(SIZES):
        params, X, y = case(seed, N, D, H, K)
        logits, loss, _ = autograd(params, X, y)
        got = student.nll_loss(logits, y)
        assert_float(got, "nll_loss")
        assert np.isclose(got, loss, rtol=1e-7), (
            f"nll_loss on logits ({N}, {K}) = {got:.6f}, expected the mean negative log-likelihood {loss:.6f}")


@pytest.mark.points(1)
def test_mlp_forward_logits(student):
    for seed, (N, D, H, K) in enumerate(SIZES):
        params, X, y = case(10 + seed, N, D, H, K)
        logits, _, _ = autograd(params, X, y)
        got = student.mlp_forward(params, X)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"mlp_forward should return (logits, cache), got {type(got).__name__}")
        assert_array(got[0], np.float64, (N, K), "the logits of mlp_forward")
        assert np.allclose(got[0], logits, rtol=1e-9, atol=1e-9), "mlp_forward: logits differ from ReLU(X W1 + b1) W2 + b2"


@pytest.mark.points(3)
def test_mlp_backward_matches_autograd(student):
    """Every gradient of the mean NLL against PyTorch's autograd in float64."""
    for seed, (N, D, H, K) in enumerate(SIZES):
        params, X, y = case(20 + seed, N, D, H, K)
        _, _, want = autograd(params, X, y)
        logits, cache = student.mlp_forward(params, X)
        got = student.mlp_backward(params, cache, logits, y)
        if not isinstance(got, dict) or set(got) != set(want):
            fail(f"mlp_backward should return a dict with keys W1, b1, W2, b2, got {got!r:.120}")
        for name in ("W2", "b2", "W1", "b1"):
            assert_array(got[name], np.float64, want[name].shape, f"the gradient of {name}")
            if not np.allclose(got[name], want[name], rtol=1e-7, atol=1e-10):
                ratio = np.sum(got[name] * want[name]) / max(np.sum(want[name] ** 2), 1e-300)
                hint = f" (it is {ratio:.3g} times autograd's: divide by the batch size once)" if np.allclose(
                    got[name], ratio * want[name], rtol=1e-6, atol=1e-10) and abs(ratio - 1) > 1e-3 else ""
                fail(f"mlp_backward on a batch of {N}, D={D}, H={H}, K={K}: the gradient of {name} differs from "
                     f"autograd's (largest difference {np.abs(got[name] - want[name]).max():.3g}){hint}")
